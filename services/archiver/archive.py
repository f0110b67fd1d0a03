"""Writes accepted events into the archive, once each, by incident and event time."""

from __future__ import annotations

from typing import Any

import orjson
from kafka.consumer.fetcher import ConsumerRecord

from services.streaming.positions import Conn

INSERT_SQL = """
INSERT INTO archive (source, id, incident, time, type, partner, subject, body)
SELECT * FROM unnest(
    %s::text[], %s::text[], %s::text[], %s::timestamptz[], %s::text[], %s::text[], %s::text[],
    %s::jsonb[])
ON CONFLICT (source, id) DO NOTHING
"""
COLUMNS = ("source", "id", "incident", "time", "type", "partner", "subject")


def archive_rows(records: list[ConsumerRecord]) -> list[list[Any]]:  # type: ignore[type-arg]
    """Column arrays for INSERT_SQL, one entry per record."""
    events = [orjson.loads(record.value) for record in records]
    columns: list[list[Any]] = [[event[name] for event in events] for name in COLUMNS]
    columns.append([record.value.decode() for record in records])
    return columns


def write_archive(conn: Conn, records: list[ConsumerRecord]) -> None:  # type: ignore[type-arg]
    conn.execute(INSERT_SQL, archive_rows(records))
