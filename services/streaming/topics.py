"""The broker topics Tandem needs, created at start (and again after a broker loses them)."""

from __future__ import annotations

import logging
from contextlib import suppress

from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import TopicAlreadyExistsError

from services.settings import Settings
from services.streaming.security import client_options

log = logging.getLogger(__name__)

INBOUND = "events.inbound"
ACCEPTED = "events.accepted"
REJECTED = "events.rejected"
CORE_TOPICS = (INBOUND, ACCEPTED, REJECTED)


def exercise_topic(run: str) -> str:
    """An exercise run's events: replayed, added by injects, published by its participants."""
    return f"exercise.{run}.events"


def ensure_topics(settings: Settings, names: tuple[str, ...] = CORE_TOPICS) -> list[str]:
    """Create whichever of `names` (unprefixed) the broker lacks; return those created."""
    admin = KafkaAdminClient(**client_options(settings), client_id="tandem-topics")
    try:
        existing = set(admin.list_topics())
        wanted = [settings.topic(name) for name in names]
        missing = [name for name in wanted if name not in existing]
        _warn_on_other_partition_counts(admin, [n for n in wanted if n in existing], settings)
        if missing:
            with suppress(TopicAlreadyExistsError):
                admin.create_topics(
                    [NewTopic(name, settings.topic_partitions, 1) for name in missing]
                )
            log.info("topics created", extra={"topics": missing})
        return missing
    finally:
        admin.close()


def _warn_on_other_partition_counts(
    admin: KafkaAdminClient, names: list[str], settings: Settings
) -> None:
    """A broker that creates topics on first use (tansu does, with 4 partitions) may have made
    one before us; with another partition count, keys would move between partitions."""
    for topic in admin.describe_topics(names) if names else []:
        count = len(topic["partitions"])
        if count != settings.topic_partitions:
            log.error(
                "topic has another partition count than configured",
                extra={
                    "topic": topic["topic"],
                    "partitions": count,
                    "configured": settings.topic_partitions,
                },
            )
