"""Dead letters: every refused request or message is kept with its reasons, for the partner to
follow up, any `person_ref` in it redacted. The relay publishes them to `events.rejected`."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import orjson
import psycopg
from psycopg_pool import AsyncConnectionPool

from schemas import Problem
from services.person_refs import redacted

log = logging.getLogger(__name__)

KEPT_BYTES = 1024 * 1024  # what is kept of a refused body; enough to see what went wrong
INSERT_SQL = (
    "INSERT INTO dead_letters (channel, partner, status, problems, payload)"
    " VALUES (%s, %s, %s, %s::jsonb, %s)"
)


def problems_json(problems: Sequence[Problem]) -> list[dict[str, object]]:
    return [
        {
            "index": p.index,
            "id": None if p.id is None else _storable(p.id),
            "field": _storable(p.field),
            "reason": _storable(p.reason),
        }
        for p in problems
    ]


def _storable(text: str) -> str:
    # Ids, fields and reasons may quote what was sent; jsonb cannot hold NUL, and a dead letter
    # that cannot be stored would stall whatever refused it.
    return text.replace("\x00", "")


@dataclass(frozen=True)
class DeadLetter:
    """What was refused on a channel (`http`, `kafka`), from whom when known, and why;
    `status` is the HTTP status the refusal has, or would have had over HTTP."""

    channel: str
    partner: str | None
    status: int
    problems: Sequence[Problem]
    payload: bytes

    def row(self) -> tuple[object, ...]:
        problems = orjson.dumps(problems_json(self.problems)).decode()
        payload = redacted(self.payload)[:KEPT_BYTES]
        return (self.channel, self.partner, self.status, problems, payload)


async def record(pool: AsyncConnectionPool, letter: DeadLetter) -> None:
    try:
        async with pool.connection() as conn:
            await conn.execute(INSERT_SQL, letter.row())
    except Exception as exc:
        # The refusal still reaches the partner; losing its copy must not turn a 4xx into a 5xx.
        log.error("dead letter not recorded", extra={"partner": letter.partner, "error": repr(exc)})


def record_all(conn: psycopg.Connection[tuple[object, ...]], letters: Sequence[DeadLetter]) -> None:
    """Within the caller's transaction, so the letters commit with whatever else it writes."""
    with conn.cursor() as cursor:
        cursor.executemany(INSERT_SQL, [letter.row() for letter in letters])
