"""Who may say what on `events.inbound`, tried as a hostile partner producing to Kafka would:
each refused message is a dead letter with 403 or 409, nothing of it is stored, and the
messages around it are judged in their order, as in the store."""

from __future__ import annotations

from typing import Any

import orjson
import psycopg
from kafka import KafkaProducer

from services.authority.person_refs import redacted
from services.inbound.writer import InboundWriter
from services.settings import Settings
from services.store.partners import Partner, add_partner
from services.streaming.kafka_transport import BatchConsumer
from services.streaming.topics import INBOUND, ensure_topics
from tests.support.authority_events import Event, capacity, hub, request
from tests.support.inbound_messages import STRUCTURED, binary_headers, consumed
from tests.support.person_ref_events import EVADING
from tests.support.person_ref_search import tables_holding
from tests.support.servers import wait_for

FOODBANK, COUNCIL, HOSTILE = "kingston-foodbank", "rbk-council", "rogue-org"


def test_a_hostile_kafka_producer_is_refused_and_the_referred_partner_is_not(
    settings: Settings,
) -> None:
    ensure_topics(settings)
    with psycopg.connect(settings.database_url) as conn:
        tokens = {p: add_partner(conn, Partner(p, p)) for p in (FOODBANK, COUNCIL, HOSTILE)}
        messages: list[tuple[Event, bool]] = [  # (event, in binary mode)
            (request(COUNCIL, "raised", "r-0077"), False),
            (hub(FOODBANK, "stock.counted", "hub-tolworth"), True),
            (request(HOSTILE, "raised", "r-0077"), False),
            (request(HOSTILE, "cancelled", "r-0077"), True),
            (request(HOSTILE, "referred", "r-0077", to_partner=HOSTILE), False),
            (request(FOODBANK, "accepted", "r-0077"), True),  # not referred to it yet
            (request(COUNCIL, "referred", "r-0077", to_partner=FOODBANK), True),
            (request(FOODBANK, "fulfilled", "r-0077"), False),
            (request(HOSTILE, "accepted", "r-0077"), True),
            (hub(HOSTILE, "stock.distributed", "hub-tolworth"), True),
            (request(HOSTILE, "raised", "rogue-1"), True),  # its own: accepted
            (capacity(HOSTILE) | {"subject": COUNCIL}, True),
            (capacity(HOSTILE) | {"subject": COUNCIL}, False),
        ]
        producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap)
        for event, in_binary in messages:
            auth = ("authorization", f"Bearer {tokens[event['partner']]}".encode())
            if in_binary:
                headers = [(k, v.encode()) for k, v in binary_headers(event)]
                value = orjson.dumps(event["data"])
            else:
                headers = [(STRUCTURED[0], STRUCTURED[1].encode())]
                value = orjson.dumps(event)
            producer.send(
                settings.topic(INBOUND), value=value, headers=[auth, *headers], partition=0
            )
        producer.flush()
        producer.close()

        consumer = BatchConsumer(settings, conn, "inbound", INBOUND, InboundWriter(), relayed=False)
        wait_for(
            lambda: consumer.poll_once(timeout_ms=200) >= 0 and consumed(conn) == len(messages),
            what="every message consumed",
        )
        consumer.close()
        stored = {str(r[0]) for r in conn.execute("SELECT id FROM events")}
        letters: list[tuple[Any, ...]] = conn.execute(
            "SELECT channel, partner, status, problems, payload FROM dead_letters ORDER BY seq"
        ).fetchall()

    kept = [messages[n][0]["id"] for n in (0, 1, 6, 7, 10)]
    assert stored == set(kept)
    refused = [messages[n] for n in (2, 3, 4, 5, 8, 9, 11, 12)]
    assert [(c, p, s) for c, p, s, _, _ in letters] == [
        ("kafka", HOSTILE, 409),
        ("kafka", HOSTILE, 403),
        ("kafka", HOSTILE, 403),
        ("kafka", FOODBANK, 403),
        ("kafka", HOSTILE, 403),
        ("kafka", HOSTILE, 403),
        ("kafka", HOSTILE, 403),
        ("kafka", HOSTILE, 403),
    ]
    for (event, in_binary), (*_, problems, payload) in zip(refused, letters, strict=True):
        [problem] = problems
        assert problem["id"] == event["id"]
        assert event["subject"] in problem["reason"] and event["partner"] in problem["reason"]
        # Kept as sent, but for a person_ref, which never enters (redacted in a dead letter).
        assert bytes(payload) == redacted(orjson.dumps(event["data"] if in_binary else event))


def test_a_reference_in_a_refused_message_never_reaches_the_dead_letters(
    settings: Settings,
) -> None:
    ensure_topics(settings)
    with psycopg.connect(settings.database_url) as conn:
        auth = ("authorization", f"Bearer {add_partner(conn, Partner(HOSTILE, HOSTILE))}".encode())
        producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap)
        for body, _ in EVADING:  # each as an event's JSON, and as text
            for kind in (STRUCTURED[1], "text/plain"):
                headers = [auth, ("content-type", kind.encode())]
                producer.send(settings.topic(INBOUND), value=body, headers=headers, partition=0)
        producer.flush()
        producer.close()

        consumer = BatchConsumer(settings, conn, "inbound", INBOUND, InboundWriter(), relayed=False)
        wait_for(
            lambda: consumer.poll_once(timeout_ms=200) >= 0 and consumed(conn) == 2 * len(EVADING),
            what="every message consumed",
        )
        consumer.close()
        letters = conn.execute("SELECT count(*) FROM dead_letters").fetchone()
        assert letters == (2 * len(EVADING),)
        references = {reference.decode() for _, reference in EVADING}
        assert tables_holding(conn, references | {"nhs-"}) == {}
