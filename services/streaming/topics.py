"""The broker topics Tandem needs: each one's partitions and retention, written down once here
(the README's topic table is checked against it), created at start (and again after a broker
loses them) or beforehand by `tandem topics create` where the services may not create topics."""

from __future__ import annotations

import logging
import re
from contextlib import suppress
from dataclasses import dataclass
from datetime import timedelta

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


def inbox_topic(partner: str) -> str:
    """What is shared with a partner, as the relay publishes its inbox."""
    return f"partner.{partner}.inbox"


@dataclass(frozen=True)
class TopicSpec:
    """A topic, or a family of them (`{partner}`, `{run}`): who writes it, who reads it, how long
    the broker keeps its records and why."""

    name: str
    written_by: str
    read_by: str
    retention: timedelta
    why: str

    def matches(self, name: str) -> bool:
        pattern = re.sub(r"\\\{\w+\\\}", ".+", re.escape(self.name))
        return re.fullmatch(pattern, name) is not None


WEEK = timedelta(days=7)
TOPICS = (
    TopicSpec(
        INBOUND,
        "partners' own producers",
        "inbound",
        WEEK,
        "a partner's record is only here until the inbound service stores it: the week outlasts"
        " an outage over a long weekend",
    ),
    TopicSpec(
        ACCEPTED,
        "relay",
        "archiver, aggregator, router",
        WEEK,
        "PostgreSQL holds every event; the topic has to outlast a stopped consumer, and the"
        " reconciler sends again whatever one missed",
    ),
    TopicSpec(
        REJECTED,
        "relay",
        "partners' own tools",
        WEEK,
        "dead letters, kept in PostgreSQL as well (`GET /v1/refusals`)",
    ),
    TopicSpec(
        inbox_topic("{partner}"),
        "relay",
        "that partner",
        WEEK,
        "a partner away longer reads the same events from its feed (`GET /v1/feed`)",
    ),
    TopicSpec(
        exercise_topic("{run}"),
        "replay, relay",
        "the run's aggregator",
        WEEK,
        "read while the run goes on; a run replays again from the archive",
    ),
)


def spec_of(name: str) -> TopicSpec:
    """How Tandem keeps a topic, by its unprefixed name."""
    return next(spec for spec in TOPICS if spec.matches(name))


def new_topic(settings: Settings, name: str) -> NewTopic:
    """A topic as Tandem creates it: the configured partitions and replicas, its retention."""
    retention_ms = int(spec_of(name).retention.total_seconds() * 1000)
    return NewTopic(
        settings.topic(name),
        settings.topic_partitions,
        settings.topic_replication,
        topic_configs={"retention.ms": str(retention_ms)},
    )


def ensure_topics(settings: Settings, names: tuple[str, ...] = CORE_TOPICS) -> list[str]:
    """Create whichever of `names` (unprefixed) the broker lacks; return those created."""
    admin = KafkaAdminClient(**client_options(settings), client_id="tandem-topics")
    try:
        existing = set(admin.list_topics())
        missing = [name for name in names if settings.topic(name) not in existing]
        present = [settings.topic(name) for name in names if name not in missing]
        _warn_on_other_partition_counts(admin, present, settings)
        if missing:
            with suppress(TopicAlreadyExistsError):
                admin.create_topics([new_topic(settings, name) for name in missing])
            log.info("topics created", extra={"topics": [settings.topic(n) for n in missing]})
        return [settings.topic(name) for name in missing]
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
                    "topic": topic["name"],
                    "partitions": count,
                    "configured": settings.topic_partitions,
                },
            )
