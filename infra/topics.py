"""The broker topics Tandem needs, created at start (and again after a broker loses them)."""

from __future__ import annotations

import logging
from contextlib import suppress

from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import TopicAlreadyExistsError

from services.settings import Settings

log = logging.getLogger(__name__)

INBOUND = "events.inbound"
ACCEPTED = "events.accepted"
REJECTED = "events.rejected"
CORE_TOPICS = (INBOUND, ACCEPTED, REJECTED)


def partner_inbox(partner: str) -> str:
    return f"partner.{partner}.inbox"


def ensure_topics(settings: Settings, names: tuple[str, ...] = CORE_TOPICS) -> list[str]:
    """Create whichever of `names` (unprefixed) the broker lacks; return those created."""
    admin = KafkaAdminClient(
        bootstrap_servers=settings.require_kafka_bootstrap(), client_id="tandem-topics"
    )
    try:
        existing = set(admin.list_topics())
        wanted = [settings.topic(name) for name in names]
        missing = [name for name in wanted if name not in existing]
        if missing:
            with suppress(TopicAlreadyExistsError):
                admin.create_topics(
                    [NewTopic(name, settings.topic_partitions, 1) for name in missing]
                )
            log.info("topics created", extra={"topics": missing})
        return missing
    finally:
        admin.close()
