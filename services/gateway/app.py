"""The gateway: partners' HTTP entry point, its state (the pool, the store, the token checks,
the rate limits) and one routes module per resource (`services/gateway/routes/`)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import psycopg
from fastapi import FastAPI
from psycopg_pool import AsyncConnectionPool

from services.authority.person_refs import door_key_async
from services.gateway import refusals
from services.gateway.area_cache import AreaCache
from services.gateway.auth import Authenticator
from services.gateway.rate_limits import RateLimits
from services.gateway.refusals import Refused
from services.gateway.routes import (
    areas,
    board,
    editions,
    events,
    exercises,
    feed,
    figures,
    health,
    webhooks,
)
from services.gateway.routes import refusals as refusals_routes
from services.settings import Settings
from services.store.events import (
    EventStore,
    prepare_connection,
)
from services.store.verified_tokens import RevocationListener, VerifiedTokens

POOL_WAIT_SECONDS = 2.0
"""Longest a request waits for a database connection before its 503: connections are only
scarce when PostgreSQL is gone, and then a quick answer is worth more than a long wait."""
RECONNECT_SECONDS = 5.0
"""psycopg_pool doubles the pause between reconnection attempts until it gives up, so a long
outage would leave minutes between attempts after PostgreSQL is back. Giving up early keeps the
pauses short; the next request that finds no connection starts a fresh attempt."""


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
        app.state.areas = AreaCache(pool, settings)
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
        description="Partners publish CloudEvents; Tandem makes them durable and shares them."
        " Every event type, its fields and an example are in Tandem's docs/events.md; what"
        " each figure of the situation report counts, in docs/figures.md.",
        lifespan=lifespan,
    )

    events.describe_with_contract(app)
    for routes in (
        events,
        health,
        figures,
        editions,
        areas,
        feed,
        exercises,
        refusals_routes,
        board,
        webhooks,
    ):
        app.include_router(routes.router)

    app.add_exception_handler(Refused, refusals.answer)
    app.add_exception_handler(psycopg.OperationalError, refusals.database_unavailable)

    return app
