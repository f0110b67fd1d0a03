"""`GET /v1/refusals?after=CURSOR`: what the calling partner sent that was refused, and why.

The partner's own dead letters, from HTTP and Kafka alike, so a partner producing to Kafka
learns of a missing role or a malformed event without database access. The cursor is the
letter's `seq`: a partner's letters commit in that order (`dead_letters.LOCK_SQL`), so a reader
resuming after a cursor neither skips nor repeats one. Never another partner's letters; never a
body, nor anything of a token (a Kafka message's headers are not kept).

A message whose token could not be verified has no partner to show it to: it is kept, but only
the operator sees it (`events.rejected`).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from psycopg_pool import AsyncConnectionPool
from pydantic import BaseModel, Field

from services.gateway.auth import CallingPartner
from services.gateway.path_ids import After, PageLimit
from services.store.dead_letters import READ_SQL, refusal_json

router = APIRouter()


class Refusal(BaseModel):
    cursor: str = Field(description="resume after this one with ?after=")
    received_at: str
    channel: str = Field(description="http or kafka")
    status: int = Field(description="the HTTP status the refusal had, or would have had")
    problems: list[dict[str, Any]] = Field(description="index, id, field and reason of each")
    size: int = Field(description="the refused body's size in bytes")
    sha256: str = Field(description="the refused body's SHA-256, hex")


class Refusals(BaseModel):
    refusals: list[Refusal]
    cursor: str


@router.get(
    "/v1/refusals",
    response_model=Refusals,
    summary="What the calling partner sent that was refused (HTTP and Kafka), after a cursor",
)
async def refusals(
    request: Request,
    partner_id: CallingPartner,
    after: After = 0,
    limit: PageLimit = 100,
) -> Refusals:
    pool: AsyncConnectionPool = request.app.state.pool
    async with pool.connection() as conn:
        rows = await (await conn.execute(READ_SQL, (partner_id, after, limit))).fetchall()
    found = [Refusal(**refusal_json(row)) for row in rows]
    return Refusals(refusals=found, cursor=found[-1].cursor if found else str(after))
