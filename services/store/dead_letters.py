"""Dead letters: every refused request or message is kept with its reasons, for the partner to
follow up (`GET /v1/refusals`, `tandem refusals`), any `person_ref` in it redacted. The relay
publishes them to `events.rejected`.

Only the first 64 KiB of a refused body is kept, with the whole body's size and the SHA-256 of
the body as kept whole (redacted): enough to see what went wrong and for the partner to match it
to what it sent, and a partner sending refused megabytes cannot grow the table (and the topic)
by more than that a refusal. The digest is of the redacted body, as one of the raw body would
let anyone who reads dead letters find a redacted reference by trying every possible one.

A partner's letters are inserted under a per-partner lock held until they commit, so they
commit in `seq` order and a reader resuming after a `seq` never skips one committed late.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
import psycopg
from psycopg_pool import AsyncConnectionPool

from schemas import Problem
from services.authority.person_refs import redacted

log = logging.getLogger(__name__)

KEPT_BYTES = 64 * 1024
INSERT_SQL = (
    "INSERT INTO dead_letters (channel, partner, status, problems, payload, size, sha256)"
    " VALUES (%s, %s, %s, %s::jsonb, %s, %s, %s)"
)
LOCK_SQL = "SELECT pg_advisory_xact_lock(hashtextextended('tandem:dead-letters:' || %s, 0))"
READ_SQL = (
    "SELECT seq, received_at, channel, status, problems, size, sha256 FROM dead_letters"
    " WHERE partner = %s AND seq > %s ORDER BY seq LIMIT %s"
)


def problems_json(problems: Sequence[Problem], storable: bool = True) -> list[dict[str, object]]:
    """The problems as JSON; `storable`, without NUL characters (for jsonb)."""
    kept = _storable if storable else str
    return [
        {
            "index": p.index,
            "id": None if p.id is None else kept(p.id),
            "field": kept(p.field),
            "reason": kept(p.reason),
        }
        for p in problems
    ]


def _storable(text: str) -> str:
    # Ids, fields and reasons may quote what was sent; jsonb cannot hold NUL, and a dead letter
    # that cannot be stored would stall whatever refused it. An answer says them as they are.
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
        body = redacted(self.payload)
        return (
            self.channel,
            self.partner,
            self.status,
            problems,
            body[:KEPT_BYTES],
            len(self.payload),
            hashlib.sha256(body).digest(),
        )


async def record(pool: AsyncConnectionPool, letter: DeadLetter) -> None:
    try:
        # Redacting a refused body of megabytes takes a fraction of a second: not on the loop.
        row = await asyncio.to_thread(letter.row)
        async with pool.connection() as conn, conn.transaction():
            if letter.partner is not None:
                await conn.execute(LOCK_SQL, (letter.partner,))
            await conn.execute(INSERT_SQL, row)
    except Exception as exc:
        # The refusal still reaches the partner; losing its copy must not turn a 4xx into a 5xx.
        log.error("dead letter not recorded", extra={"partner": letter.partner, "error": repr(exc)})


def record_all(conn: psycopg.Connection[tuple[object, ...]], letters: Sequence[DeadLetter]) -> None:
    """Within the caller's transaction, so the letters commit with whatever else it writes."""
    # In one order everywhere, so two writers holding several partners' locks never deadlock.
    for partner in sorted({letter.partner for letter in letters if letter.partner is not None}):
        conn.execute(LOCK_SQL, (partner,))
    with conn.cursor() as cursor:
        cursor.executemany(INSERT_SQL, [letter.row() for letter in letters])


def refusal_json(row: tuple[Any, ...]) -> dict[str, Any]:
    """A row of READ_SQL as the partner sees it: never the body, nor anything of the token."""
    seq, received_at, channel, status, problems, size, sha256 = row
    assert isinstance(received_at, datetime) and isinstance(sha256, bytes)
    return {
        "cursor": str(seq),
        "received_at": received_at.isoformat(),
        "channel": channel,
        "status": status,
        "problems": problems,
        "size": size,
        "sha256": sha256.hex(),
    }
