"""Applies a batch of accepted events to the figures tables, in the caller's transaction.

The batch is staged by COPY, its events not counted before are found through the ledger
(`counted_events`), and each projection in `projections.sql` runs once over them, set-based.
The projections name the request lifecycle's steps (`{closing}`); they are written in from
`schemas.lifecycle` as the file is loaded.
Re-applying a batch, or any part of it, in any order, leaves the figures as they are.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from importlib import resources
from typing import Any

import orjson
import psycopg

from schemas.lifecycle import SQL_NAMES
from schemas.wire import AcceptedEvent

# Events arrive as the JSON the relay published and PostgreSQL takes them apart: that work
# then runs in the server, beside the worker, rather than in the worker's one Python thread.
STAGING_SQL = (
    "CREATE TEMP TABLE IF NOT EXISTS incoming (doc jsonb NOT NULL) ON COMMIT DELETE ROWS;"
    "CREATE TEMP TABLE IF NOT EXISTS fresh (source text, id text, incident text, partner text,"
    " type text, time timestamptz, subject text, data jsonb) ON COMMIT DELETE ROWS"
)
COPY_SQL = "COPY incoming (doc) FROM STDIN"
COUNT_SQL = """
WITH batch AS (
    SELECT DISTINCT ON (doc->>'source', doc->>'id')
           doc->>'source' AS source, doc->>'id' AS id, doc->>'incident' AS incident,
           doc->>'partner' AS partner, doc->>'type' AS type,
           (doc->>'time')::timestamptz AS time, doc->>'subject' AS subject, doc->'data' AS data
    FROM incoming
    ORDER BY doc->>'source', doc->>'id'
), counted AS (
    INSERT INTO counted_events (run, source, id, incident, partner, type, time)
    SELECT %(run)s, source, id, incident, partner, type, time FROM batch
    ON CONFLICT DO NOTHING
    RETURNING source, id
)
INSERT INTO fresh SELECT b.* FROM batch b JOIN counted USING (source, id)
"""


@cache
def projections() -> tuple[tuple[str, str], ...]:
    """(name, statement) pairs of projections.sql, in file order, the lifecycle written in."""
    text = (resources.files("services.figures") / "projections.sql").read_text()
    parts = re.split(r"^-- name: (\w+)\n", text, flags=re.MULTILINE)
    return tuple(
        (name, body.strip().format_map(SQL_NAMES))
        for name, body in zip(parts[1::2], parts[2::2], strict=True)
    )


def _json(event: AcceptedEvent) -> str:
    if isinstance(event, bytes):
        return event.decode()
    if isinstance(event, str):
        return event
    return orjson.dumps(event).decode()


def apply_batch(conn: psycopg.Connection[Any], run: str, events: Iterable[AcceptedEvent]) -> int:
    """Count `events` into `run`'s figures; return how many were new. The caller commits."""
    conn.execute(STAGING_SQL)
    with conn.cursor() as cur:
        with cur.copy(COPY_SQL) as copy:
            for event in events:
                copy.write_row((_json(event),))
        cur.execute(COUNT_SQL, {"run": run})
        new = cur.rowcount
        if new:
            for _, statement in projections():
                cur.execute(statement, {"run": run})
        cur.execute("TRUNCATE incoming, fresh")
    return new
