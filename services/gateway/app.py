"""The gateway: partners' HTTP entry point. `POST /v1/events` answers 202 once durable."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import psycopg
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from psycopg_pool import AsyncConnectionPool

from schemas import ContractError, Event
from schemas.bindings import UnsupportedMediaType
from services.gateway import (
    dead_letters,
    exercise_routes,
    feed_routes,
    figures_routes,
    metrics,
    refusals,
)
from services.gateway.auth import Authenticator
from services.gateway.authenticated import Partner
from services.gateway.body import decode_events
from services.gateway.dead_letters import DeadLetter
from services.gateway.event_store import (
    EventStore,
    Overloaded,
    StoredEvent,
    StoreUnavailable,
    prepare_connection,
)
from services.gateway.publish_api import (
    REFUSALS,
    REQUEST_BODY,
    Accepted,
    describe_with_contract,
)
from services.gateway.rate_limits import RateLimits
from services.gateway.refusals import Refused
from services.partners import impersonation
from services.person_refs import at_the_door, door_key_async
from services.settings import Settings

log = logging.getLogger(__name__)

POOL_WAIT_SECONDS = 2.0
"""Longest a request waits for a database connection before its 503: connections are only
scarce when PostgreSQL is gone, and then a quick answer is worth more than a long wait."""
RECONNECT_SECONDS = 5.0
"""psycopg_pool doubles the pause between reconnection attempts until it gives up, so a long
outage would leave minutes between attempts after PostgreSQL is back. Giving up early keeps the
pauses short; the next request that finds no connection starts a fresh attempt."""


async def read_body(request: Request, limit: int, seconds: float) -> bytes:
    """The whole body, refused when over `limit` bytes or when it takes longer than `seconds`
    to arrive (a client trickling it in must not hold a request open for ever)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise Refused(413, f"body over the {limit}-byte limit")
    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(seconds):
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise Refused(413, f"body over the {limit}-byte limit")
                chunks.append(chunk)
    except TimeoutError:
        raise Refused(408, f"body not received within {seconds:g}s") from None
    return b"".join(chunks)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        pool = AsyncConnectionPool(
            settings.require_database_url(),
            min_size=2,
            max_size=10,
            open=False,
            configure=prepare_connection,
            # Connections PostgreSQL dropped (a restart) are found and replaced before use.
            check=AsyncConnectionPool.check_connection,
            timeout=POOL_WAIT_SECONDS,
            reconnect_timeout=RECONNECT_SECONDS,
        )
        await pool.open(wait=True, timeout=30)
        async with pool.connection() as conn:
            app.state.door_key = await door_key_async(conn)
        app.state.pool = pool
        app.state.settings = settings
        app.state.auth = Authenticator(pool)
        app.state.store = EventStore(pool, max_waiting_events=settings.max_waiting_events)
        app.state.rate_limits = RateLimits(
            settings.partner_events_per_second, settings.partner_burst_events
        )
        try:
            yield
        finally:
            await pool.close()

    app = FastAPI(
        title="Tandem gateway",
        version="1",
        description="Partners publish CloudEvents; Tandem makes them durable and shares them.",
        lifespan=lifespan,
    )

    describe_with_contract(app)
    app.include_router(figures_routes.router)
    app.include_router(feed_routes.router)
    app.include_router(exercise_routes.router)

    app.add_exception_handler(Refused, refusals.answer)
    app.add_exception_handler(psycopg.OperationalError, refusals.database_unavailable)

    @app.post(
        "/v1/events",
        status_code=202,
        summary="Publish one CloudEvent (structured or binary mode) or a batch",
        responses=REFUSALS,
        openapi_extra=REQUEST_BODY,
    )
    async def publish(request: Request, partner_id: Partner) -> Accepted:
        started = time.perf_counter()
        store: EventStore = request.app.state.store
        try:
            raw = await read_body(request, settings.max_body_bytes, settings.read_seconds)
        except Refused as exc:
            await _keep(request, partner_id, exc, b"")
            raise
        if store.full:
            # Before the body is parsed: under overload, checking events that cannot be stored
            # would take the CPU the store's writer and the accepted requests need.
            raise Refused(429, f"overloaded, retry later: {store.waiting_events} events waiting")
        try:
            events = await _validated(request, raw, partner_id, settings)
        except Refused as exc:
            await _keep(request, partner_id, exc, raw)
            raise
        limits: RateLimits = request.app.state.rate_limits
        wait = limits.take(partner_id, len(events))
        if wait:
            raise Refused(429, f"over {partner_id}'s rate limit; retry later", retry=wait)
        try:
            door: bytes = request.app.state.door_key
            new = await store.append([StoredEvent.of(at_the_door(e, door)) for e in events])
        except Overloaded as exc:
            raise Refused(429, f"overloaded, retry later: {exc}") from None
        except StoreUnavailable:
            raise Refused(503, "the event store is unavailable; nothing was accepted") from None
        finally:
            metrics.STORE_WAITING.set(store.waiting_events)
        metrics.EVENTS_ACCEPTED.labels(partner_id).inc(new)
        metrics.EVENTS_DUPLICATE.labels(partner_id).inc(len(events) - new)
        metrics.INGEST_SECONDS.observe(time.perf_counter() - started)
        return Accepted(accepted=new, duplicates=len(events) - new)

    @app.get("/healthz", summary="Liveness")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", summary="Readiness: the database and the broker are reachable")
    async def readyz(request: Request) -> Response:
        checks = {
            "database": await _database_ready(request.app.state.pool),
            "broker": await _broker_ready(settings),
        }
        ready = all(checks.values())
        return JSONResponse({"ready": ready, "checks": checks}, status_code=200 if ready else 503)

    @app.get("/metrics", summary="Prometheus metrics")
    async def prometheus_metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return app


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


async def _database_ready(pool: AsyncConnectionPool) -> bool:
    try:
        async with pool.connection(timeout=2) as conn:
            await conn.execute("SELECT 1")
        return True
    except Exception:
        return False


async def _broker_ready(settings: Settings) -> bool:
    if not settings.kafka_bootstrap:
        return False
    host, _, port = settings.kafka_bootstrap.split(",")[0].rpartition(":")
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(host, int(port)), 2)
    except (OSError, TimeoutError, ValueError):
        return False
    writer.close()
    return True
