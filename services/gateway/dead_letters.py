"""Dead letters: every refused request is kept with its reasons, for the partner to follow up.

The relay publishes them to `events.rejected`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import orjson
from psycopg_pool import AsyncConnectionPool

from schemas import Problem

log = logging.getLogger(__name__)

KEPT_BYTES = 1024 * 1024  # what is kept of a refused body; enough to see what went wrong


def problems_json(problems: Sequence[Problem]) -> list[dict[str, object]]:
    return [{"index": p.index, "id": p.id, "field": p.field, "reason": p.reason} for p in problems]


async def record(
    pool: AsyncConnectionPool,
    *,
    channel: str,
    partner: str | None,
    status: int,
    problems: Sequence[Problem],
    payload: bytes,
) -> None:
    try:
        async with pool.connection() as conn:
            await conn.execute(
                "INSERT INTO dead_letters (channel, partner, status, problems, payload)"
                " VALUES (%s, %s, %s, %s::jsonb, %s)",
                (
                    channel,
                    partner,
                    status,
                    orjson.dumps(problems_json(problems)).decode(),
                    payload[:KEPT_BYTES],
                ),
            )
    except Exception as exc:
        # The refusal still reaches the partner; losing its copy must not turn a 4xx into a 5xx.
        log.error("dead letter not recorded", extra={"partner": partner, "error": repr(exc)})
