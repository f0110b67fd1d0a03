"""Messages on `events.inbound` as a partner's producer writes them, and how far the inbound
service has read."""

from __future__ import annotations

from typing import Any

import psycopg

Conn = psycopg.Connection[tuple[Any, ...]]
STRUCTURED = ("content-type", "application/cloudevents+json")


def binary_headers(event: dict[str, Any]) -> list[tuple[str, str]]:
    attributes = [(f"ce_{name}", str(value)) for name, value in event.items() if name != "data"]
    return [*attributes, ("content-type", "application/json")]


def consumed(conn: Conn) -> int:
    """Messages of events.inbound the inbound service has written, over all partitions."""
    row = conn.execute(
        "SELECT coalesce(sum(next_offset), 0) FROM consumer_offsets WHERE consumer = 'inbound'"
    ).fetchone()
    conn.commit()
    return int(row[0]) if row else 0
