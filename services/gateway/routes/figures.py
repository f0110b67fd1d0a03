"""Figures over HTTP, for any partner with a token: `GET /v1/incidents/{incident}/sitrep` and
the same figures by area as GeoJSON, `GET /v1/incidents/{incident}/areas.geojson`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated, TypeVar

from fastapi import APIRouter, Query, Request, Response
from psycopg_pool import AsyncConnectionPool

from schemas.envelope import EventTime
from services.exercises.runs import Conn, standing_run_time
from services.figures.area_map import areas_geojson
from services.figures.incidents import UnknownIncident, check_incident
from services.figures.sitrep import AreaFigures, Sitrep, area_figures_async, sitrep_async
from services.gateway.area_cache import AreaCache
from services.gateway.auth import CallingPartner
from services.gateway.path_ids import IncidentId, RunQuery
from services.gateway.refusals import Refused
from services.gateway.routes.exercises import in_store

router = APIRouter()


WIDEST_WINDOW = timedelta(days=8)
"""The furthest any figure looks back from T (the stock's 7 days), with a day to spare."""


AtQuery = Annotated[
    EventTime | None,
    Query(description="T, RFC 3339 (default: now; for an exercise run, where its clock stands)"),
]


@router.get(
    "/v1/incidents/{incident}/sitrep",
    response_model=Sitrep,
    summary="The situation report of an incident at a time",
    description="What each figure counts, and as of which time, is in Tandem's docs/figures.md.",
    responses={404: {"description": "No such incident: the error names the known ones"}},
)
async def incident_sitrep(
    request: Request,
    incident: IncidentId,
    partner_id: CallingPartner,
    at: AtQuery = None,
    run: RunQuery = "live",
) -> Sitrep:
    return await report_at(request, incident, at, run, sitrep_async)


@router.get(
    "/v1/incidents/{incident}/areas.geojson",
    summary="The areas of the deployment with the incident's figures by area at a time",
    description=(
        "A GeoJSON FeatureCollection (RFC 7946, WGS84): one feature per area of the sitrep's"
        " `areas`, its boundary (or its centre, for an area loaded as a point) as geometry and"
        " its figures as properties, for GIS tools such as QGIS. The `unknown` area, where"
        " events naming no loaded area count, has a null geometry."
    ),
    response_class=Response,
    responses={
        200: {"content": {"application/geo+json": {}}},
        404: {"description": "No such incident: the error names the known ones"},
    },
)
async def incident_areas_geojson(
    request: Request,
    incident: IncidentId,
    partner_id: CallingPartner,
    at: AtQuery = None,
    run: RunQuery = "live",
) -> Response:
    report = await report_at(request, incident, at, run, area_figures_async)
    areas: AreaCache = request.app.state.areas
    cached = await areas.current()
    places = {} if cached is None else cached.loaded.places
    return Response(areas_geojson(report, places), media_type="application/geo+json")


Report = TypeVar("Report", Sitrep, AreaFigures)


async def report_at(
    request: Request,
    incident: str,
    at: datetime | None,
    run: str,
    read: Callable[[AsyncConnectionPool, str, datetime, str], Awaitable[Report]],
) -> Report:
    """`read`'s figures at `at`, or where T stands by default; 404 for an incident with no
    event."""
    if at is None:
        live = run == "live"
        at = datetime.now(UTC) if live else await in_store(request, standing(run))
    try:
        at - WIDEST_WINDOW  # the figures look back from T; a T at the calendar's edge cannot
    except OverflowError:
        raise Refused(422, f"at {at.isoformat()} is too early to have figures") from None
    pool: AsyncConnectionPool = request.app.state.pool
    if run == "live":  # a run's incident is its own, with or without events yet
        async with pool.connection() as conn:
            try:
                await check_incident(conn, incident)
            except UnknownIncident as exc:
                raise Refused(404, str(exc)) from None
    return await read(pool, incident, at, run)


def standing(run: str) -> Callable[[Conn], datetime]:
    return lambda conn: standing_run_time(conn, run)
