"""Writing to and reading from the broker in tests."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from kafka import KafkaConsumer, KafkaProducer
from kafka.consumer.fetcher import ConsumerRecord

from services.settings import Settings
from services.streaming.positions import EPOCH_HEADER
from services.streaming.security import client_options
from services.streaming.topics import ACCEPTED
from tests.support.servers import wait_for


def produce(
    settings: Settings, events: list[Mapping[str, Any]], epoch: int = 0, topic: str = ACCEPTED
) -> None:
    """Publish events as the relay does: keyed by subject, with the broker epoch header."""
    producer = KafkaProducer(**client_options(settings), linger_ms=5)
    for event in events:
        producer.send(
            settings.topic(topic),
            key=str(event["subject"]).encode(),
            value=orjson.dumps(event),
            headers=[(EPOCH_HEADER, str(epoch).encode())],
        )
    producer.flush()
    producer.close()


def read_records(settings: Settings, topic: str, count: int) -> list[ConsumerRecord]:  # type: ignore[type-arg]
    """At least `count` records of a topic (full name after the prefix), from the start."""
    consumer = KafkaConsumer(
        settings.topic(topic),
        **client_options(settings),
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        consumer_timeout_ms=500,
    )
    got: list[ConsumerRecord] = []  # type: ignore[type-arg]

    def more() -> bool:
        got.extend(consumer)
        return len(got) >= count

    try:
        wait_for(more, what=f"{count} records on {topic}")
    finally:
        consumer.close()
    return got


def read_topic(settings: Settings, topic: str, count: int) -> list[tuple[bytes, dict[str, Any]]]:
    """At least `count` records of a topic, from the start, as (key, event)."""
    return [(r.key, orjson.loads(r.value)) for r in read_records(settings, topic, count)]
