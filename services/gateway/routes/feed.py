"""`GET /v1/feed?after=CURSOR`: what the calling partner may see, in order, resumable.

The cursor is the partner's inbox position (`inbox.seq`): the router writes each partner's
rows under a per-partner lock, so they commit in cursor order and a reader that resumes after
a cursor neither skips nor repeats an event. With `wait`, an empty answer is held open until
something arrives or the wait ends (long polling), so any HTTP client can follow the feed.
"""

from __future__ import annotations

import asyncio
import time
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from psycopg_pool import AsyncConnectionPool
from pydantic import BaseModel

from services.gateway.auth import CallingPartner
from services.gateway.path_ids import After, PageLimit
from services.sharing.store import READ_INBOX_SQL, InboxEntry

router = APIRouter()

POLL_SECONDS = 0.25


class Feed(BaseModel):
    events: list[dict[str, Any]]
    cursor: str


async def _page(pool: AsyncConnectionPool, partner: str, after: int, limit: int) -> Feed:
    async with pool.connection() as conn:
        rows = await (await conn.execute(READ_INBOX_SQL, (partner, after, limit))).fetchall()
    entries = [InboxEntry(*row) for row in rows]
    cursor = str(entries[-1].seq) if entries else str(after)
    return Feed(events=[entry.event for entry in entries], cursor=cursor)


@router.get(
    "/v1/feed",
    response_model=Feed,
    summary="Events shared with the calling partner under its agreements, after a cursor",
)
async def feed(
    request: Request,
    partner_id: CallingPartner,
    after: After = 0,
    limit: PageLimit = 100,
    wait: Annotated[float, Query(ge=0, le=30, description="seconds to hold an empty answer")] = 0,
) -> Feed:
    pool: AsyncConnectionPool = request.app.state.pool
    deadline = time.monotonic() + wait
    page = await _page(pool, partner_id, after, limit)
    while not page.events and time.monotonic() < deadline:
        await asyncio.sleep(POLL_SECONDS)
        page = await _page(pool, partner_id, after, limit)
    return page
