"""`/v1/webhooks`: the calling partner's own webhooks — made, listed with their delivery state,
removed. A partner never sees or touches another's: every statement is asked with the partner
of the token, and another's webhook id is answered as one that does not exist."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Request, Response
from psycopg_pool import AsyncConnectionPool
from pydantic import BaseModel, Field

from services.gateway.auth import CallingPartner
from services.gateway.refusals import Refused
from services.settings import Settings
from services.sharing import webhook_store as store
from services.sharing.webhook_urls import UrlRefused, checked
from services.sharing.webhooks import unknown_types

router = APIRouter()

RESOLVER = ThreadPoolExecutor(max_workers=2, thread_name_prefix="webhook-dns")
"""Threads of their own for resolving webhook hosts: a partner naming hosts that resolve slowly
waits on these, never on the threads that verify every partner's token."""


class NewWebhook(BaseModel):
    url: str = Field(description="https, to a public address; the events are POSTed there")
    types: list[str] | None = Field(
        default=None, description="only these event types (default: every one shared)"
    )
    from_cursor: int | None = Field(
        default=None,
        ge=0,
        description="deliver the inbox from after this feed cursor (0: all of it); default: "
        "only what is shared from now on",
    )


class WebhookState(BaseModel):
    id: str
    partner: str
    url: str
    types: list[str] | None = Field(description="null: every type shared")
    status: Literal["delivering", "retrying", "parked"]
    created_at: str
    cursor: str = Field(description="the feed cursor of the last event delivered or passed over")
    delivered: int
    waiting: int = Field(description="events of the inbox after the cursor")
    last_delivered_at: str | None
    attempts: int = Field(description="failed attempts at the next event")
    failing_since: str | None
    next_attempt_at: str | None
    last_error: str | None
    parked_at: str | None = Field(description="retried for its whole window, then stopped")


class MadeWebhook(BaseModel):
    webhook: WebhookState
    secret: str = Field(description="the signing secret, shown this once: keep it")


class Webhooks(BaseModel):
    webhooks: list[WebhookState]


WebhookId = Annotated[
    str, Path(pattern=r"^wh-[0-9a-f]{8}$", description="a webhook id, e.g. wh-1a2b3c4d")
]


@router.post(
    "/v1/webhooks",
    status_code=201,
    response_model=MadeWebhook,
    summary="Push the calling partner's inbox to a URL of its own, signed (Standard Webhooks)",
)
async def add(request: Request, partner_id: CallingPartner, new: NewWebhook) -> MadeWebhook:
    settings: Settings = request.app.state.settings
    types = tuple(dict.fromkeys(new.types)) if new.types else None
    if problem := unknown_types(types):
        raise Refused(422, problem)
    check = partial(checked, new.url, allow_loopback=settings.webhook_allow_loopback)
    try:
        target, _ = await asyncio.get_running_loop().run_in_executor(RESOLVER, check)
    except UrlRefused as exc:
        raise Refused(422, f"url: {exc}") from None
    params, secret = store.add_params(partner_id, target.url, types, new.from_cursor)
    pool: AsyncConnectionPool = request.app.state.pool
    async with pool.connection() as conn:
        row = await (await conn.execute(store.ADD_SQL, params)).fetchone()
    if row is None:
        raise Refused(409, store.too_many(partner_id))
    made = WebhookState(**store.webhook_json(store.webhook(row)))
    return MadeWebhook(webhook=made, secret=secret)


@router.get(
    "/v1/webhooks",
    response_model=Webhooks,
    summary="The calling partner's webhooks and their delivery state (parked ones with why)",
)
async def listed(request: Request, partner_id: CallingPartner) -> Webhooks:
    pool: AsyncConnectionPool = request.app.state.pool
    async with pool.connection() as conn:
        rows = await (await conn.execute(store.LIST_SQL, {"partner": partner_id})).fetchall()
    return Webhooks(webhooks=[WebhookState(**store.webhook_json(store.webhook(r))) for r in rows])


@router.delete(
    "/v1/webhooks/{webhook_id}",
    status_code=204,
    summary="Remove one of the calling partner's webhooks (and its secret)",
)
async def remove(request: Request, partner_id: CallingPartner, webhook_id: WebhookId) -> Response:
    pool: AsyncConnectionPool = request.app.state.pool
    async with pool.connection() as conn:
        params = {"id": webhook_id, "partner": partner_id}
        row = await (await conn.execute(store.REMOVE_SQL, params)).fetchone()
    if row is None:
        raise Refused(404, f"no webhook {webhook_id}")
    return Response(status_code=204)
