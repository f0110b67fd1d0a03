"""A 202 means durable: the broker may die right after, or be down for a while, and the events
still reach it once it is back."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from infra.broker import EmbeddedBroker
from services.settings import Settings
from services.streaming.topics import ACCEPTED
from tests.support.events_store import sample_event
from tests.support.gateway_http import gateway_for
from tests.support.servers import service_process
from tests.support.topics import read_topic


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[EmbeddedBroker]:
    """A broker of the test's own, to stop and start."""
    own = EmbeddedBroker(log_file=tmp_path / "broker.log")
    own.start()
    yield own
    own.stop()


def test_an_accepted_event_survives_a_broker_restart(
    settings: Settings, broker: EmbeddedBroker, tmp_path: Path
) -> None:
    own = settings.model_copy(update={"kafka_bootstrap": broker.bootstrap})
    with gateway_for(own) as gateway:
        broker.stop()  # the broker is down before the event arrives
        response = gateway.post([sample_event(1), sample_event(2)])
        assert response.status_code == 202  # durable in PostgreSQL, broker or not
        with service_process("services.relay", own, tmp_path / "relay.log"):
            broker.start()  # a new, empty broker on the same port
            got = read_topic(own, ACCEPTED, 2)
            assert {value["id"] for _, value in got} == {"e-1", "e-2"}
            broker.stop()  # and once more, after the relay had published them
            broker.start()
            got = read_topic(own, ACCEPTED, 2)
            assert {value["id"] for _, value in got} == {"e-1", "e-2"}


def test_publishing_goes_on_while_the_broker_is_down_and_the_relay_catches_up(
    settings: Settings, broker: EmbeddedBroker, tmp_path: Path
) -> None:
    own = settings.model_copy(update={"kafka_bootstrap": broker.bootstrap})
    with (
        gateway_for(own) as gateway,
        service_process("services.relay", own, tmp_path / "relay.log") as relay,
    ):

        def publish(prefix: str) -> list[str]:
            events = [{**sample_event(n), "id": f"{prefix}-{n}"} for n in range(10)]
            assert gateway.post(events).status_code == 202
            return [str(e["id"]) for e in events]

        before = publish("before")
        assert {v["id"] for _, v in read_topic(own, ACCEPTED, 10)} == set(before)

        broker.stop()
        ready = httpx.get(f"{gateway.url}/readyz")
        assert (ready.status_code, ready.json()["checks"]) == (
            503,
            {"database": True, "broker": False},
        )
        during = [i for batch in range(5) for i in publish(f"during-{batch}")]

        broker.start()  # empty: what the relay had published is gone with the old one
        got = {v["id"] for _, v in read_topic(own, ACCEPTED, 60)}
        assert got == set(before) | set(during)
        assert relay.poll() is None
        assert httpx.get(f"{gateway.url}/readyz").status_code == 200
