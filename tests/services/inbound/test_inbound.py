"""Partners producing straight to Kafka: `events.inbound` → the inbound service → the event store
or the dead letters → the relay → `events.accepted` or `events.rejected`; with kcat, as a
partner would, and in process across a restart."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from pathlib import Path
from typing import Any

import orjson
import psycopg
import pytest
from kafka import KafkaProducer

from infra.broker import EmbeddedBroker
from infra.kcat import kcat_environment
from services.inbound.admission import INVALID_TOKEN
from services.inbound.writer import InboundWriter
from services.settings import Settings
from services.store.partners import Partner, add_partner
from services.streaming.kafka_transport import BatchConsumer
from services.streaming.topics import ACCEPTED, INBOUND, REJECTED, ensure_topics
from tests.support.events_store import sample_event
from tests.support.inbound_messages import STRUCTURED, binary_headers, consumed
from tests.support.servers import service_process, wait_for
from tests.support.topics import read_topic

Conn = psycopg.Connection[tuple[Any, ...]]


def tokens(conn: Conn) -> tuple[str, str]:
    """Tokens of the foodbank, which publishes the sample events, and of the council."""
    foodbank = add_partner(conn, Partner("kingston-foodbank", "Kingston Foodbank"))
    council = add_partner(conn, Partner("rbk-council", "Royal Borough of Kingston"))
    return foodbank, council


def bad_quantity(n: int) -> dict[str, Any]:
    event = sample_event(n)
    event["data"] = {**event["data"], "quantity": -1}  # type: ignore[dict-item]
    return event


def relayed_everything(conn: Conn) -> bool:
    row = conn.execute(
        "SELECT bool_and(coalesce(r.seq, 0) >= t.last) FROM"
        " (SELECT 'events' AS outbox, coalesce(max(seq), 0) AS last FROM events"
        "  UNION ALL SELECT 'dead_letters', coalesce(max(seq), 0) FROM dead_letters) AS t"
        " LEFT JOIN relay_positions r USING (outbox)"
    ).fetchone()
    conn.commit()
    return bool(row and row[0])


def stored(conn: Conn) -> tuple[list[str], list[tuple[str, str | None, int, Any]]]:
    events = [str(r[0]) for r in conn.execute("SELECT id FROM events ORDER BY id")]
    letters = conn.execute(
        "SELECT channel, partner, status, problems FROM dead_letters ORDER BY status, seq"
    ).fetchall()
    conn.commit()
    return events, [(str(c), p, int(s), problems) for c, p, s, problems in letters]


@pytest.mark.skipif(
    shutil.which("kcat") is None,
    reason="kcat is not installed (Debian package kcat; .ci/run installs it)",
)
def test_kcat_producers_valid_events_accepted_once_refusals_rejected_with_reasons(
    settings: Settings, tmp_path: Path
) -> None:
    ensure_topics(settings)
    with psycopg.connect(settings.database_url) as conn:
        foodbank, council = tokens(conn)
    own = ("authorization", f"Bearer {foodbank}")

    def kcat(value: bytes, *headers: tuple[str | bytes, str | bytes]) -> None:
        message = tmp_path / f"message-{uuid.uuid4().hex}"
        message.write_bytes(value)  # kcat sends each file as one message
        args: list[str | bytes] = ["kcat", "-P", "-b", str(settings.kafka_bootstrap)]
        args += ["-t", settings.topic(INBOUND), "-k", "one-partition"]
        for name, text in headers:
            args += ["-H", os.fsencode(name) + b"=" + os.fsencode(text)]
        done = subprocess.run(
            [*args, str(message)], env=kcat_environment(), capture_output=True, timeout=30
        )
        assert done.returncode == 0, done.stderr.decode(errors="replace")

    # One key: every message goes to one partition, in this order.
    structured, in_binary = sample_event(1), sample_event(2)
    kcat(orjson.dumps(structured), own, STRUCTURED)
    kcat(orjson.dumps(in_binary["data"]), own, *binary_headers(in_binary))
    kcat(orjson.dumps(bad_quantity(3)), own, STRUCTURED)
    kcat(b"this is not JSON", own)
    kcat(orjson.dumps(sample_event(4)), ("authorization", "Bearer tdm_nobody_secret"))
    kcat(orjson.dumps(sample_event(5)), ("authorization", f"Bearer {council}"))
    kcat(orjson.dumps(sample_event(6)), own)  # after every poison message
    kcat(orjson.dumps(structured), own, STRUCTURED)  # re-sent: a duplicate
    kcat(orjson.dumps(sample_event(7)), own, (b"\xff\xfe", b"a header name not UTF-8"))
    kcat(orjson.dumps(sample_event(8)), own)  # after a record the client cannot read
    sent = 10

    logs = tmp_path / "logs"
    logs.mkdir()
    with (
        psycopg.connect(settings.database_url) as conn,
        service_process("services.inbound", settings, logs / "inbound.log"),
        service_process("services.relay", settings, logs / "relay.log"),
    ):
        wait_for(lambda: consumed(conn) == sent, what="every message consumed")
        wait_for(lambda: relayed_everything(conn), what="the relay to catch up")
        events, letters = stored(conn)

    assert events == ["e-1", "e-2", "e-6", "e-8"]
    accepted = read_topic(settings, ACCEPTED, 4)
    assert sorted(value["id"] for _, value in accepted) == ["e-1", "e-2", "e-6", "e-8"]
    assert {key for key, _ in accepted} == {b"hub-0", b"hub-1", b"hub-2"}

    assert [(channel, partner, status) for channel, partner, status, _ in letters] == [
        ("kafka", None, 400),
        ("kafka", None, 401),
        ("kafka", "rbk-council", 403),
        ("kafka", "kingston-foodbank", 422),
        ("kafka", "kingston-foodbank", 422),
    ]
    said = [[(p["id"], p["field"], p["reason"]) for p in problems] for *_, problems in letters]
    [(_, _, unreadable)] = said.pop(0)
    assert unreadable.startswith("record at partition ") and "could not be read" in unreadable
    assert said[0] == [(None, "authorization", INVALID_TOKEN)]
    assert said[1] == [
        ("e-5", "partner", "is 'kingston-foodbank' but the token belongs to 'rbk-council'")
    ]
    assert [(i, field) for i, field, _ in said[2]] == [("e-3", "data.quantity")]
    assert said[3][0][2].startswith("is not valid JSON")

    rejected = read_topic(settings, REJECTED, 5)
    assert len(rejected) == 5
    by_status = {value["status"]: value for _, value in rejected}
    assert by_status[403]["channel"] == "kafka"
    assert by_status[403]["problems"][0]["field"] == "partner"
    assert sorted(by_status) == [400, 401, 403, 422]


def test_each_message_takes_effect_once_across_a_restart(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """Positions commit with the rows: a new consumer goes on where the last one stopped, and a
    partner's own `tandem-epoch` header neither sends it back nor stops it."""
    ensure_topics(settings)
    with psycopg.connect(settings.database_url) as conn:
        foodbank, _ = tokens(conn)
        own = ("authorization", f"Bearer {foodbank}".encode())
        messages: list[tuple[bytes, list[tuple[str, bytes]]]] = [
            (orjson.dumps(sample_event(n)), [own]) for n in range(10)
        ]
        messages += [
            (orjson.dumps(sample_event(20)), [own, ("tandem-epoch", b"not a number")]),
            (orjson.dumps(sample_event(21)), [own, ("tandem-epoch", b"99")]),
            (orjson.dumps(bad_quantity(22)), [own]),
            (b"\x00\xff", [own]),
            (
                orjson.dumps(sample_event(23)),
                [("authorization", b"Bearer " + foodbank[:-1].encode())],
            ),
        ]
        producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap)
        for value, headers in messages:
            producer.send(settings.topic(INBOUND), value=value, headers=headers)
        producer.flush()
        producer.close()

        def drain(consumer: BatchConsumer) -> None:
            wait_for(
                lambda: consumer.poll_once(timeout_ms=200) >= 0 and consumed(conn) == len(messages),
                what="every message consumed",
            )

        first = BatchConsumer(settings, conn, "inbound", INBOUND, InboundWriter(), relayed=False)
        drain(first)
        first.close()
        after_first = stored(conn)
        again = BatchConsumer(settings, conn, "inbound", INBOUND, InboundWriter(), relayed=False)
        assert again.poll_once(timeout_ms=1000) == 0
        again.close()
        assert stored(conn) == after_first

    events, letters = after_first
    assert events == sorted([f"e-{n}" for n in range(10)] + ["e-20", "e-21"])
    assert [status for _, _, status, _ in letters] == [401, 422, 422]
    secret = foodbank.split("_", 2)[2]
    assert "message refused" in caplog.text and secret not in caplog.text


def test_after_the_broker_loses_its_log_the_new_log_is_read_from_its_start(
    settings: Settings, tmp_path: Path
) -> None:
    """A restarted memory-only broker hands out offsets from 0 again: a consumer left at its
    place in the old log would pass over the new log's first messages. Once the relay has found
    the log lost (the broker epoch rises), the inbound service reads the new log from 0."""
    broker = EmbeddedBroker(log_file=tmp_path / "broker.log")
    own = settings.model_copy(update={"kafka_bootstrap": broker.start()})
    try:
        ensure_topics(own)
        with psycopg.connect(own.database_url) as conn:
            foodbank, _ = tokens(conn)

            def send(numbers: range) -> None:
                producer = KafkaProducer(bootstrap_servers=own.kafka_bootstrap)
                for n in numbers:
                    producer.send(
                        own.topic(INBOUND),
                        value=orjson.dumps(sample_event(n)),
                        headers=[("authorization", f"Bearer {foodbank}".encode())],
                        partition=0,
                    )
                producer.flush()
                producer.close()

            consumer = BatchConsumer(own, conn, "inbound", INBOUND, InboundWriter(), relayed=False)

            def drain(count: int) -> None:
                wait_for(
                    lambda: (
                        consumer.poll_once(timeout_ms=200) >= 0 and len(stored(conn)[0]) == count
                    ),
                    what=f"{count} events stored",
                )

            send(range(10))
            drain(10)
            broker.stop()
            broker.start()  # the same port, nothing in it
            ensure_topics(own)
            send(range(100, 115))  # offsets 0 to 14 again, past where the consumer was
            conn.execute("UPDATE broker_epoch SET epoch = epoch + 1")  # as the relay does
            conn.commit()
            drain(25)
            consumer.close()
    finally:
        broker.stop()
