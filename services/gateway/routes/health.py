"""Liveness, readiness (with whether the figures are complete) and Prometheus metrics."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from psycopg_pool import AsyncConnectionPool

from schemas.thresholds import BEHIND_SECONDS
from services.gateway import metrics
from services.settings import Settings
from services.streaming.completeness import COMPLETENESS_SQL, Completeness, completeness_of

router = APIRouter()


@router.get("/healthz", summary="Liveness")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="Readiness: the database and the broker are reachable",
    description="503 when either is not. While both are, 200 with `status` `ready`, or"
    " `degraded` when the figures are behind (an event stored over"
    f" {BEHIND_SECONDS:.0f} s ago not yet counted), being repaired, or their completeness is"
    " unknown; `figures` says which.",
)
async def readyz(request: Request) -> Response:
    pool = request.app.state.pool
    settings: Settings = request.app.state.settings
    checks = {"database": await _database_ready(pool), "broker": await _broker_ready(settings)}
    ready = all(checks.values())
    body: dict[str, object] = {"ready": ready, "checks": checks}
    if ready:
        figures = await _completeness(pool)
        body["figures"] = figures.summary() if figures else None
        degraded = figures is None or bool(figures.problems())
        body["status"] = "degraded" if degraded else "ready"
    return JSONResponse(body, status_code=200 if ready else 503)


@router.get("/metrics", summary="Prometheus metrics")
async def prometheus_metrics(request: Request) -> Response:
    metrics.COMPLETENESS.latest = await _completeness(request.app.state.pool)
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


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
