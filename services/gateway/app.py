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
from schemas.wire import dropped_by_id
from services.completeness import COMPLETENESS_SQL, Completeness, completeness_of
from services.gateway import (
    board_routes,
    dead_letters,
    exercise_routes,
    feed_routes,
    figures_routes,
    metrics,
    refusals,
    refusals_routes,
)
from services.gateway.auth import Authenticator
from services.gateway.authenticated import Partner
from services.gateway.body import decode_events
from services.gateway.dead_letters import DeadLetter
from services.gateway.event_store import (
    EventStore,
    NotAuthorised,
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
from services.gateway.rate_limits import RateLimits, body_cost
from services.gateway.refusals import Refused
from services.partners import impersonation
from services.person_refs import at_the_door, door_key_async
from services.settings import Settings
from services.verified_tokens import RevocationListener, VerifiedTokens

log = logging.getLogger(__name__)

POOL_WAIT_SECONDS = 2.0
"""Longest a request waits for a database connection before its 503: connections are only
scarce when PostgreSQL is gone, and then a quick answer is worth more than a long wait."""
UNAUTHORISED = {
    403: "events about what is not this partner's to speak for; nothing was accepted",
    409: "a request another partner raised first; nothing was accepted",
}
RECONNECT_SECONDS = 5.0
"""psycopg_pool doubles the pause between reconnection attempts until it gives up, so a long
outage would leave minutes between attempts after PostgreSQL is back. Giving up early keeps the
pauses short; the next request that finds no connection starts a fresh attempt."""


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
        verified = VerifiedTokens()
        listener = RevocationListener(settings.require_database_url(), verified).start()
        app.state.auth = Authenticator(pool, verified)
        app.state.store = EventStore(pool, max_waiting_events=settings.max_waiting_events)
        app.state.rate_limits = RateLimits(
            settings.partner_events_per_second, settings.partner_burst_events
        )
        try:
            yield
        finally:
            await asyncio.to_thread(listener.stop)
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
    app.include_router(refusals_routes.router)
    app.include_router(board_routes.router)

    app.add_exception_handler(Refused, refusals.answer)
    app.add_exception_handler(psycopg.OperationalError, refusals.database_unavailable)

    @app.post(
        "/v1/events",
        status_code=202,
        summary="Publish one CloudEvent (structured or binary mode) or a batch",
        responses=REFUSALS,
        openapi_extra=REQUEST_BODY,
        response_model_exclude_defaults=True,
    )
    async def publish(request: Request, partner_id: Partner) -> Accepted:
        started = time.perf_counter()
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

    @app.get("/healthz", summary="Liveness")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get(
        "/readyz",
        summary="Readiness: the database and the broker are reachable",
        description="503 when either is not. While both are, 200 with `status` `ready`, or"
        " `degraded` when the figures are behind (an event stored over a minute ago not yet"
        " counted), being repaired, or their completeness is unknown; `figures` says which.",
    )
    async def readyz(request: Request) -> Response:
        pool = request.app.state.pool
        checks = {"database": await _database_ready(pool), "broker": await _broker_ready(settings)}
        ready = all(checks.values())
        body: dict[str, object] = {"ready": ready, "checks": checks}
        if ready:
            figures = await _completeness(pool)
            body["figures"] = figures.summary() if figures else None
            degraded = figures is None or bool(figures.problems())
            body["status"] = "degraded" if degraded else "ready"
        return JSONResponse(body, status_code=200 if ready else 503)

    @app.get("/metrics", summary="Prometheus metrics")
    async def prometheus_metrics(request: Request) -> Response:
        metrics.COMPLETENESS.latest = await _completeness(request.app.state.pool)
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return app


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


async def _database_ready(pool: AsyncConnectionPool) -> bool:
    try:
        async with pool.connection(timeout=2) as conn:
            await conn.execute("SELECT 1")
        return True
    except Exception:
        return False


async def _completeness(pool: AsyncConnectionPool) -> Completeness | None:
    """The reconciler's last findings; None when the database cannot say."""
    try:
        async with pool.connection(timeout=2) as conn:
            row = await (await conn.execute(COMPLETENESS_SQL)).fetchone()
    except Exception:
        return None
    return completeness_of(row) if row else None


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
