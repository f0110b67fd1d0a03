"""`POST /v1/events`: a partner's events, answered 202 once durable; and how the route is
described in the OpenAPI document: its body is the event contract itself (each type's JSON
Schema, as `schemas/jsonschema/` exports it), and every answer it can give has its shape, so
clients and fuzzers see what the gateway really takes and returns."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, Field

from schemas import ContractError, Event
from schemas.bindings import BATCH, JSON, STRUCTURED, UnsupportedMediaType
from schemas.events import EVENT_ADAPTER
from schemas.wire import dropped_by_id
from services.authority.person_refs import at_the_door
from services.gateway import metrics
from services.gateway.auth import CallingPartner
from services.gateway.body import decode_events
from services.gateway.rate_limits import RateLimits, body_cost
from services.gateway.refusals import Refused
from services.settings import Settings
from services.store import dead_letters
from services.store.dead_letters import DeadLetter
from services.store.events import (
    EventStore,
    NotAuthorised,
    Overloaded,
    StoredEvent,
    StoreUnavailable,
)
from services.store.partners import impersonation

router = APIRouter()

UNAUTHORISED = {
    403: "events about what is not this partner's to speak for; nothing was accepted",
    409: "a raised for a request that is another partner's; nothing was accepted",
}

COMPONENTS = "#/components/schemas/"
EVENT = {"$ref": f"{COMPONENTS}Event"}
EVENTS = {"type": "array", "minItems": 1, "items": EVENT}


class Accepted(BaseModel):
    """Every event of the request is durable: `accepted` were new, `duplicates` were stored
    before (same `source` and `id`). `dropped`, only there when something was, names the
    extension attributes dropped from each event (by its `id`) before it was stored."""

    accepted: int
    duplicates: int
    dropped: dict[str, list[str]] = Field(
        default_factory=dict,
        description="event id → the names of the extension attributes dropped from it; absent "
        "when none were",
    )


class ListedProblem(BaseModel):
    index: int | None
    id: str | None
    field: str
    reason: str


class Refusal(BaseModel):
    """Nothing of the request was accepted; `problems` lists everything wrong with it (`index`
    of the event in a batch, its `id` as sent, the `field`, and the `reason`)."""

    error: str
    problems: list[ListedProblem]


class Unauthorised(BaseModel):
    detail: str


RETRY_AFTER = {
    "Retry-After": {"description": "whole seconds to wait", "schema": {"type": "string"}}
}
REFUSALS: dict[int | str, dict[str, Any]] = {
    401: {"model": Unauthorised, "description": "no valid partner token"},
    403: {
        "model": Refusal,
        "description": "an event's `partner` is not the token's partner, or an event is about"
        " a request, hub, volunteer or deployment the partner neither owns nor is involved in",
    },
    408: {"model": Refusal, "description": "the body did not arrive in time"},
    409: {"model": Refusal, "description": "`raised` for a request another partner raised"},
    413: {"model": Refusal, "description": "body over the size limit, or too many events"},
    415: {"model": Refusal, "description": "unsupported media type"},
    422: {"model": Refusal, "description": "events that break the contract"},
    429: {
        "model": Refusal,
        "description": "over the partner's rate limit, or the store is behind: retry later",
        "headers": RETRY_AFTER,
    },
    503: {
        "model": Refusal,
        "description": "the event store is unavailable: retry later",
        "headers": RETRY_AFTER,
    },
}
REQUEST_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            STRUCTURED: {"schema": EVENT},
            BATCH: {"schema": EVENTS},
            JSON: {"schema": {"oneOf": [EVENT, EVENTS]}},
        },
    }
}


def contract_schemas() -> dict[str, Any]:
    """The contract as OpenAPI components: `Event` (any event) and what it refers to."""
    event = EVENT_ADAPTER.json_schema(ref_template=COMPONENTS + "{model}")
    return {**event.pop("$defs"), "Event": event}


def describe_with_contract(app: FastAPI) -> None:
    """Makes the app's OpenAPI document carry the contract's schemas."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            document.setdefault("components", {}).setdefault("schemas", {}).update(
                contract_schemas()
            )
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


class BodyRefused(Refused):
    """A body refused while it was being read, with the bytes received until then."""

    def __init__(self, status: int, error: str, received: int) -> None:
        super().__init__(status, error)
        self.received = received


async def read_body(request: Request, limit: int, seconds: float) -> bytes:
    """The whole body, refused when over `limit` bytes or when it takes longer than `seconds`
    to arrive (a client trickling it in must not hold a request open for ever)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyRefused(413, f"body over the {limit}-byte limit", 0)
    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(seconds):
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise BodyRefused(413, f"body over the {limit}-byte limit", size)
                chunks.append(chunk)
    except TimeoutError:
        raise BodyRefused(408, f"body not received within {seconds:g}s", size) from None
    return b"".join(chunks)


@router.post(
    "/v1/events",
    status_code=202,
    summary="Publish one CloudEvent (structured or binary mode) or a batch",
    responses=REFUSALS,
    openapi_extra=REQUEST_BODY,
    response_model_exclude_defaults=True,
)
async def publish(request: Request, partner_id: CallingPartner) -> Accepted:
    started = time.perf_counter()
    settings: Settings = request.app.state.settings
    store: EventStore = request.app.state.store
    limits: RateLimits = request.app.state.rate_limits
    if wait := limits.in_debt(partner_id):
        # Not even read: a partner over its allowance gets nothing more done for it.
        raise _over_rate_limit(partner_id, wait)
    try:
        raw = await read_body(request, settings.max_body_bytes, settings.read_seconds)
    except BodyRefused as exc:
        limits.spend(partner_id, body_cost(exc.received))
        await _keep(request, partner_id, exc, b"")
        raise
    if store.full:
        # Before the body is parsed: under overload, checking events that cannot be stored
        # would take the CPU the store's writer and the accepted requests need.
        raise Refused(429, f"overloaded, retry later: {store.waiting_events} events waiting")
    paid = body_cost(len(raw))
    if wait := limits.take(partner_id, paid):
        raise _over_rate_limit(partner_id, wait)
    try:
        events = await _validated(request, raw, partner_id, settings)
    except Refused as exc:
        await _keep(request, partner_id, exc, raw)
        raise
    if len(events) > paid:
        # The events cost more than the bytes: charged for them instead, whole or not at all.
        limits.spend(partner_id, -paid)
        if wait := limits.take(partner_id, len(events)):
            raise _over_rate_limit(partner_id, wait)
    try:
        door: bytes = request.app.state.door_key
        new = await store.append([StoredEvent.of(at_the_door(e, door)) for e in events])
    except Overloaded as exc:
        raise Refused(429, f"overloaded, retry later: {exc}") from None
    except StoreUnavailable:
        raise Refused(503, "the event store is unavailable; nothing was accepted") from None
    except NotAuthorised as exc:
        refused = Refused(
            exc.refusal.status, UNAUTHORISED[exc.refusal.status], exc.refusal.problems
        )
        await _keep(request, partner_id, refused, raw)
        raise refused from None
    finally:
        metrics.STORE_WAITING.set(store.waiting_events)
    metrics.EVENTS_ACCEPTED.labels(partner_id).inc(new)
    metrics.EVENTS_DUPLICATE.labels(partner_id).inc(len(events) - new)
    metrics.INGEST_SECONDS.observe(time.perf_counter() - started)
    return Accepted(accepted=new, duplicates=len(events) - new, dropped=dropped_by_id(events))


def _over_rate_limit(partner_id: str, wait: float) -> Refused:
    return Refused(429, f"over {partner_id}'s rate limit; retry later", retry=wait)


async def _keep(request: Request, partner_id: str, refused: Refused, raw: bytes) -> None:
    """The refused body as a dead letter, with why it was refused."""
    letter = DeadLetter("http", partner_id, refused.status, refused.problems, raw)
    await dead_letters.record(request.app.state.pool, letter)


async def _validated(
    request: Request, raw: bytes, partner_id: str, settings: Settings
) -> list[Event]:
    try:
        events = decode_events(request.headers, raw)
    except UnsupportedMediaType as exc:
        raise Refused(415, str(exc)) from None
    except ContractError as exc:
        raise Refused(422, "invalid events; nothing was accepted", exc.problems) from None
    if len(events) > settings.max_batch_events:
        raise Refused(413, f"batch over the {settings.max_batch_events}-event limit")
    spoofed = [
        problem
        for index, e in enumerate(events)
        if (problem := impersonation(e, partner_id, index if len(events) > 1 else None))
    ]
    if spoofed:
        raise Refused(403, "events published as another partner; nothing was accepted", spoofed)
    return events
