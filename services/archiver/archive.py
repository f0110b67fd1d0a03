"""Writes accepted events into the archive, once each, by incident and event time."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

from services.streaming.batches import Batch
from services.streaming.positions import Conn

INSERT_SQL = """
INSERT INTO archive (source, id, incident, time, type, partner, subject, body)
SELECT * FROM unnest(
    %s::text[], %s::text[], %s::text[], %s::timestamptz[], %s::text[], %s::text[], %s::text[],
    %s::jsonb[])
ON CONFLICT (source, id) DO NOTHING
"""
COLUMNS = ("source", "id", "incident", "time", "type", "partner", "subject")


def archive_rows(values: Sequence[bytes]) -> list[list[Any]]:
    """Column arrays for INSERT_SQL, one entry per event."""
    events = [orjson.loads(value) for value in values]
    columns: list[list[Any]] = [[event[name] for event in events] for name in COLUMNS]
    columns.append([value.decode() for value in values])
    return columns


def write_archive(conn: Conn, batch: Batch) -> None:
    conn.execute(INSERT_SQL, archive_rows(batch.values))
