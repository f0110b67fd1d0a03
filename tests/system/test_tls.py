"""Every service's whole path over TLS (`KAFKA_SECURITY_PROTOCOL=SSL`), to the embedded broker
behind a TLS terminator with a test CA: events published over HTTP and produced straight to
Kafka, relayed, archived, counted into the figures, shared through the router to the partner's
feed and inbox topic, and replayed into an exercise run with its own aggregator."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import httpx
import orjson
import psycopg
import pytest
import trustme
from kafka import KafkaProducer
from kafka.errors import KafkaError

from services.settings import Settings
from services.streaming.security import client_options
from services.streaming.topics import INBOUND, ensure_topics
from tests.support.events_store import sample_event
from tests.support.partnership import FOODBANK, council_and_foodbank
from tests.support.raised_requests import council_raised
from tests.support.servers import TANDEM, running_gateway, service_process, wait_for
from tests.support.tls_terminator import tls_broker
from tests.support.topics import read_topic

pytestmark = pytest.mark.timeout(180)

RAISED = 12
PRODUCED = 5
RUN = "tls-drill"


def count(database_url: str, sql: str) -> int:
    with psycopg.connect(database_url) as conn:
        row = conn.execute(sql).fetchone()
    return int(row[0]) if row else 0


def test_every_service_runs_its_whole_path_over_tls(settings: Settings, tmp_path: Path) -> None:
    with tls_broker(tmp_path) as broker:
        tls = settings.model_copy(
            update={
                "kafka_bootstrap": broker.bootstrap,
                "kafka_security_protocol": "SSL",
                "kafka_ssl_cafile": broker.ca_file,
            }
        )
        assert_only_tls_with_the_right_ca_gets_in(tls, tmp_path)
        ensure_topics(tls)
        url = str(tls.database_url)
        with psycopg.connect(url) as conn:
            council, foodbank = council_and_foodbank(conn)
        with (
            running_gateway(tls) as gateway,
            service_process("services.relay", tls, tmp_path / "relay.log"),
            service_process("services.archiver", tls, tmp_path / "archiver.log"),
            service_process("services.inbound", tls, tmp_path / "inbound.log"),
            service_process("services.aggregator", tls, tmp_path / "aggregator.log"),
            service_process("services.router", tls, tmp_path / "router.log"),
        ):
            with httpx.Client(base_url=gateway, timeout=10) as http:
                for n in range(RAISED):
                    published = http.post(
                        "/v1/events",
                        json=council_raised(n),
                        headers={"Authorization": f"Bearer {council}"},
                    )
                    assert published.status_code == 202, published.text
                produce_as_a_partner(tls, foodbank)
                total = RAISED + PRODUCED
                # The inbound service read the partner's records; the relay published the
                # store; the archiver and the aggregator took every event in.
                wait_for(lambda: count(url, "SELECT count(*) FROM events") == total, 60, "stored")
                wait_for(lambda: count(url, "SELECT count(*) FROM archive") == total, 60)
                figures = "SELECT count(*) FROM counted_events WHERE run = 'live'"
                wait_for(lambda: count(url, figures) == total, 60, "every event counted")
                # The router shared the council's requests with the foodbank, minimised.
                shared = feed(http, foodbank, RAISED)
                assert sorted(e["id"] for e in shared) == sorted(
                    f"raised-{n}" for n in range(RAISED)
                )
                assert {frozenset(e["data"]) for e in shared} == {
                    frozenset({"request_id", "need", "area", "person_ref"})
                }
                assert all(e["data"]["person_ref"].startswith("pp-") for e in shared)
            inbox = read_topic(tls, f"partner.{FOODBANK}.inbox", RAISED)
            assert {key.decode() for key, _ in inbox} == {f"r{n}" for n in range(RAISED)}

            replay = subprocess.run(
                [TANDEM, "replay", "--incident", "covid-2020", "--run", RUN, "--speed", "max"],
                env={**os.environ, **tls.child_env()},
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert replay.returncode == 0, replay.stdout + replay.stderr
        run_figures = f"SELECT count(*) FROM counted_events WHERE run = '{RUN}'"
        assert count(url, run_figures) == total
    # Each client connection went through the terminator: the services connected over TLS.
    assert broker.terminator.handshakes >= 10


def produce_as_a_partner(settings: Settings, token: str) -> None:
    """The foodbank's own producer, straight to `events.inbound`, over TLS."""
    producer = KafkaProducer(**client_options(settings))
    for n in range(PRODUCED):
        producer.send(
            settings.topic(INBOUND),
            value=orjson.dumps(sample_event(n)),
            headers=[("authorization", f"Bearer {token}".encode())],
        )
    producer.flush()
    producer.close()


def feed(http: httpx.Client, token: str, count: int) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    cursor = "0"

    def more() -> bool:
        nonlocal cursor
        page = http.get(
            "/v1/feed",
            params={"after": cursor, "wait": 2},
            headers={"Authorization": f"Bearer {token}"},
        ).json()
        events.extend(page["events"])
        cursor = page["cursor"]
        return len(events) >= count

    wait_for(more, 60, "the feed")
    return events


def assert_only_tls_with_the_right_ca_gets_in(tls: Settings, tmp_path: Path) -> None:
    """The terminator's port takes no plain Kafka client, nor one trusting another CA."""
    other_ca = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(other_ca))
    for refused in (
        tls.model_copy(update={"kafka_security_protocol": "PLAINTEXT"}),
        tls.model_copy(update={"kafka_ssl_cafile": other_ca}),
    ):
        with pytest.raises(KafkaError):
            KafkaProducer(**client_options(refused), bootstrap_timeout_ms=3000)
