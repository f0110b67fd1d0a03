"""A 202 means durable: the broker may die right after and the event still reaches it."""

from __future__ import annotations

from pathlib import Path

import httpx
import orjson
import psycopg

from infra.broker import EmbeddedBroker
from infra.topics import ACCEPTED
from services.partners import Partner, add_partner
from services.settings import Settings
from tests.events_store import sample_event
from tests.servers import running_gateway, service_process
from tests.topics import read_topic


def test_an_accepted_event_survives_a_broker_restart(settings: Settings, tmp_path: Path) -> None:
    broker = EmbeddedBroker(log_file=tmp_path / "broker.log")
    own = settings.model_copy(update={"kafka_bootstrap": broker.start()})
    with psycopg.connect(own.database_url) as conn:
        token = add_partner(conn, Partner("kingston-foodbank", "Kingston Foodbank"))
    try:
        with running_gateway(own) as url:
            broker.stop()  # the broker is down before the event arrives
            response = httpx.post(
                f"{url}/v1/events",
                content=orjson.dumps([sample_event(1), sample_event(2)]),
                headers={
                    "Authorization": f"Bearer {token}",
                    "Content-Type": "application/cloudevents-batch+json",
                },
            )
            assert response.status_code == 202  # durable in PostgreSQL, broker or not
            with service_process("services.relay", own, tmp_path / "relay.log"):
                broker.start()  # a new, empty broker on the same port
                got = read_topic(own, ACCEPTED, 2)
                assert {value["id"] for _, value in got} == {"e-1", "e-2"}
                broker.stop()  # and once more, after the relay had published them
                broker.start()
                got = read_topic(own, ACCEPTED, 2)
                assert {value["id"] for _, value in got} == {"e-1", "e-2"}
    finally:
        broker.stop()
