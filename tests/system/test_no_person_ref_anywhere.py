"""Personal references never enter: events with distinctive person_refs published every way in
(HTTP structured, batch and binary, refused over HTTP; Kafka structured, binary and refused;
an exercise run's participant and its inject), through every service, then a search of every
table, every topic but the partners' own `events.inbound`, and every service's log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import psycopg
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition

from infra.broker import free_port
from services.authority.person_refs import door_key, door_pseudonym
from services.exercises.injects import Inject
from services.exercises.runs import Run, create_run
from services.replay.player import Player
from services.settings import Settings
from services.streaming.topics import INBOUND, ensure_topics
from tests.support.inbound_messages import binary_headers
from tests.support.partnership import COUNCIL, FOODBANK, council_and_foodbank
from tests.support.person_ref_events import raised_data
from tests.support.person_ref_search import holding, tables_holding
from tests.support.servers import service_process, wait_for

RUN = "drill-1"
# Distinctive references, one per way in, so a hit says which way leaked.
REFS = {
    "http": "zq-structured-4401",
    "batch": "zq-batch-4402",
    "binary": "zq-binary-4403",
    "refused-http": "zq-refused-4404",
    "kafka": "zq-kafka-4405",
    "kafka-binary": "zq-kafka-binary-4406",
    "refused-kafka": "zq-kafka-refused-4407",
    "exercise": "zq-exercise-4408",
    "inject": "zq-inject-4409",
}
SERVICES = ("gateway", "inbound", "relay", "router", "archiver")


def raised(partner: str, n: int, person_ref: str, incident: str = "covid-2020") -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "id": f"raised-{n}",
        "source": f"/orgs/{partner}/crm",
        "type": "resilience.request.raised.v1",
        "time": f"2020-04-01T09:{n:02d}:00Z",
        "subject": f"r-{n}",
        "partner": partner,
        "incident": incident,
        "data": {"request_id": f"r-{n}", **raised_data(person_ref)},
    }


def referred(n: int) -> dict[str, Any]:
    return {
        **raised(COUNCIL, n, ""),
        "id": f"referred-{n}",
        "type": "resilience.request.referred.v1",
        "time": f"2020-04-01T10:{n:02d}:00Z",
        "data": {"request_id": f"r-{n}", "to_partner": FOODBANK},
    }


def post(url: str, token: str, body: Any, **headers: str) -> int:
    response = httpx.post(
        f"{url}/v1/events",
        content=body if isinstance(body, bytes) else orjson.dumps(body),
        headers={"Authorization": f"Bearer {token}", **headers},
        timeout=30,
    )
    return response.status_code


def publish_every_way(url: str, settings: Settings, council: str, foodbank: str) -> None:
    single = {"Content-Type": "application/cloudevents+json"}
    assert post(url, council, raised(COUNCIL, 1, REFS["http"]), **single) == 202
    # The same person twice from the council (the foodbank's Kafka event below names another
    # person with the same reference).
    batch = [raised(COUNCIL, 2, REFS["batch"]), referred(1), raised(COUNCIL, 9, REFS["batch"])]
    assert (
        post(url, council, batch, **{"Content-Type": "application/cloudevents-batch+json"}) == 202
    )
    binary = raised(COUNCIL, 3, REFS["binary"])
    headers = {f"ce-{k}": str(v) for k, v in binary.items() if k != "data"}
    assert (
        post(url, council, binary["data"], **headers, **{"Content-Type": "application/json"}) == 202
    )
    bad = raised(COUNCIL, 4, REFS["refused-http"])
    bad["data"]["household_size"] = 0
    assert post(url, council, bad, **single) == 422
    moved = raised(COUNCIL, 5, REFS["exercise"], incident=RUN)
    assert post(url, council, moved, **single) == 202

    auth = ("authorization", f"Bearer {foodbank}".encode())
    structured = ("content-type", b"application/cloudevents+json")
    kafka_binary = raised(FOODBANK, 7, REFS["kafka-binary"])
    refused = raised(FOODBANK, 8, REFS["refused-kafka"])
    refused["data"]["need"] = "nothing-we-know"
    producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap)
    topic = settings.topic(INBOUND)
    producer.send(
        topic, orjson.dumps(raised(FOODBANK, 6, REFS["kafka"])), headers=[auth, structured]
    )
    producer.send(
        topic, orjson.dumps(raised(FOODBANK, 10, REFS["batch"])), headers=[auth, structured]
    )
    producer.send(
        topic,
        orjson.dumps(kafka_binary["data"]),
        headers=[auth, *((k, v.encode()) for k, v in binary_headers(kafka_binary))],
    )
    producer.send(topic, orjson.dumps(refused), headers=[auth, structured])
    producer.flush()
    producer.close()


def every_record(settings: Settings, topic: str) -> list[bytes]:
    """Every record of `topic` (full name), key, value and headers, from its start to its end."""
    consumer = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, enable_auto_commit=False)
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        consumer.assign(partitions)
        consumer.seek_to_beginning()
        ends = consumer.end_offsets(partitions)
        texts: list[bytes] = []
        while any(consumer.position(tp) < end for tp, end in ends.items()):
            for records in consumer.poll(timeout_ms=1000).values():
                for r in records:
                    texts.append(
                        b" ".join([r.key or b"", r.value or b"", *(v for _, v in r.headers)])
                    )
        return texts
    finally:
        consumer.close()


def exercise_with_an_inject(settings: Settings) -> None:
    """A run of the incident, with an inject that writes a person_ref; it is made before the
    participants publish, so that the relay sends their moves to the run's topic."""
    inject = Inject.model_validate(
        {
            "id": "surge",
            "at": "2020-04-01T09:30:00Z",
            "synopsis": "a surge of calls",
            "events": [
                {
                    "type": "resilience.request.raised.v1",
                    "partner": COUNCIL,
                    "subject": "surge-1",
                    "data": {"request_id": "surge-1", **raised_data(REFS["inject"])},
                }
            ],
        }
    )
    start = datetime(2020, 4, 1, 9, tzinfo=UTC)
    with psycopg.connect(settings.require_database_url()) as conn:
        create_run(
            conn,
            Run(RUN, "covid-2020", start, start + timedelta(hours=2), timedelta(0)),
            None,
            [inject],
        )


def test_no_raw_person_ref_in_any_table_topic_or_log(settings: Settings, tmp_path: Path) -> None:
    ensure_topics(settings)
    with psycopg.connect(settings.require_database_url()) as conn:
        council, foodbank = council_and_foodbank(conn)
        key = door_key(conn)
    exercise_with_an_inject(settings)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    logs = {name: tmp_path / f"{name}.log" for name in SERVICES}
    with (
        service_process("services.gateway", settings, logs["gateway"], "--port", str(port)),
        service_process("services.inbound", settings, logs["inbound"]),
        service_process("services.relay", settings, logs["relay"]),
        service_process("services.router", settings, logs["router"]),
        service_process("services.archiver", settings, logs["archiver"]),
        psycopg.connect(settings.require_database_url(), autocommit=True) as conn,
    ):
        wait_for(lambda: _ready(url), 60, "the gateway")
        publish_every_way(url, settings, council, foodbank)

        def count(query: str) -> int:
            row = conn.execute(query).fetchone()
            return int(row[0]) if row else 0

        wait_for(lambda: count("SELECT count(*) FROM events") == 9, 60, "every event stored")
        wait_for(lambda: count("SELECT count(*) FROM dead_letters") == 2, 60, "both refused")
        wait_for(lambda: count("SELECT count(*) FROM archive") == 8, 60, "archived")
        # The agreement shares the council's 4 raised; the referral its referral too.
        wait_for(lambda: count("SELECT count(*) FROM inbox") == 5, 60, "shared")
        progress = Player(settings, RUN).play()  # replays the archive, fires the inject
        assert progress.state == "finished" and progress.injects_fired == ["surge"]
        stored = {
            str(i): ref
            for i, ref in conn.execute("SELECT id, body::jsonb #>> '{data,person_ref}' FROM events")
        }
        assert stored["raised-1"] == door_pseudonym(key, COUNCIL, REFS["http"])
        assert stored["raised-7"] == door_pseudonym(key, FOODBANK, REFS["kafka-binary"])
        assert stored["raised-2"] == stored["raised-9"] != stored["raised-10"]
        assert stored["raised-10"] == door_pseudonym(key, FOODBANK, REFS["batch"])
        shared = {
            e["id"]: e["data"]["person_ref"]
            for (e,) in conn.execute("SELECT event FROM inbox WHERE event->>'id' LIKE 'raised-%'")
        }
        # The foodbank gets its own pseudonym of the door pseudonym: the same person still one.
        assert shared["raised-2"] == shared["raised-9"] != stored["raised-2"]
        assert shared["raised-2"].startswith("pp-")
        topics = [
            t
            for t in KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap).list_topics()
            if t.startswith(settings.topic_prefix)
        ]
        searched = [t for t in topics if t != settings.topic(INBOUND)]
        assert {settings.topic(t) for t in ("events.accepted", "events.rejected")} <= set(searched)
        assert f"{settings.topic_prefix}partner.{FOODBANK}.inbox" in searched
        assert f"{settings.topic_prefix}exercise.{RUN}.events" in searched
        # The search can find what it looks for: the partners' own topic holds their refs.
        assert holding(_texts(every_record(settings, settings.topic(INBOUND))), REFS.values())

        assert tables_holding(conn, REFS.values()) == {}
        for topic in searched:
            assert holding(_texts(every_record(settings, topic)), REFS.values()) == set(), topic
    for name, log in logs.items():
        assert log.stat().st_size > 0, name
        assert holding([log.read_text(errors="replace")], REFS.values()) == set(), name


def _texts(records: list[bytes]) -> list[str]:
    return [record.decode(errors="replace") for record in records]


def _ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False
