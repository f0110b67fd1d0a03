"""Applies a batch of accepted events to the figures tables, in the caller's transaction.

The batch is staged by COPY, its events not counted before are found through the ledger
(`counted_events`), and each projection in `projections.sql` runs once over them, set-based.
Re-applying a batch, or any part of it, in any order, leaves the figures as they are.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import cache
from importlib import resources
from typing import Any

import orjson
import psycopg

ENVELOPE = ("source", "id", "incident", "partner", "type", "time", "subject")
STAGING_SQL = (
    "CREATE TEMP TABLE IF NOT EXISTS incoming (source text, id text, incident text,"
    " partner text, type text, time timestamptz, subject text, data jsonb)"
    " ON COMMIT DELETE ROWS;"
    "CREATE TEMP TABLE IF NOT EXISTS fresh (LIKE incoming) ON COMMIT DELETE ROWS"
)
COPY_SQL = f"COPY incoming ({', '.join(ENVELOPE)}, data) FROM STDIN"
COUNT_SQL = """
WITH counted AS (
    INSERT INTO counted_events (run, source, id, incident, partner, type, time)
    SELECT %(run)s, source, id, incident, partner, type, time FROM incoming
    ON CONFLICT DO NOTHING
    RETURNING source, id
)
INSERT INTO fresh SELECT i.* FROM incoming i JOIN counted USING (source, id)
"""

Event = bytes | str | Mapping[str, Any]


@cache
def projections() -> tuple[tuple[str, str], ...]:
    """(name, statement) pairs of projections.sql, in file order."""
    text = (resources.files("services.aggregator") / "projections.sql").read_text()
    parts = re.split(r"^-- name: (\w+)\n", text, flags=re.MULTILINE)
    return tuple((name, body.strip()) for name, body in zip(parts[1::2], parts[2::2], strict=True))


def _rows(events: Iterable[Event]) -> Iterable[tuple[Any, ...]]:
    """Staging rows, one per distinct (source, id): a batch may carry an event twice."""
    seen: set[tuple[str, str]] = set()
    for event in events:
        doc = event if isinstance(event, Mapping) else orjson.loads(event)
        key = (doc["source"], doc["id"])
        if key not in seen:
            seen.add(key)
            yield (*(doc[name] for name in ENVELOPE), orjson.dumps(doc["data"]).decode())


def apply_batch(conn: psycopg.Connection[Any], run: str, events: Iterable[Event]) -> int:
    """Count `events` into `run`'s figures; return how many were new. The caller commits."""
    conn.execute(STAGING_SQL)
    with conn.cursor() as cur:
        with cur.copy(COPY_SQL) as copy:
            for row in _rows(events):
                copy.write_row(row)
        cur.execute(COUNT_SQL, {"run": run})
        new = cur.rowcount
        if new:
            for _, statement in projections():
                cur.execute(statement, {"run": run})
        cur.execute("TRUNCATE incoming, fresh")
    return new
