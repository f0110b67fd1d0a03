"""`GET /v1/areas.geojson`: the deployment's areas as reference data, without figures and
without a token, for maps that cannot send one: Grafana's Geomap panels fetch it from the
browser as their base layer (so no internet map tiles are needed).

It holds boundaries, names and codes only — no figure, no event, no person — as public as the
ward maps it is loaded from. It changes only when areas are loaded, so it is cacheable and
validated by an ETag naming the area version; any origin may read it (CORS `*`, no credentials),
as Grafana serves its pages from its own origin.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from services.gateway.area_cache import AreaCache
from services.maps.places import reference_geojson

router = APIRouter()

CACHE_SECONDS = 300


@router.get(
    "/v1/areas.geojson",
    summary="The loaded areas' boundaries, without figures (no token needed)",
    description=(
        "A GeoJSON FeatureCollection (RFC 7946, WGS84) of the latest loaded areas: each area's"
        " boundary (or its centre, for an area loaded as a point) with its code, name and GSS"
        " code; empty while no area is loaded. Reference data with no figure and nothing"
        " personal, readable from any origin and cacheable; the figures by area are"
        " `/v1/incidents/{incident}/areas.geojson`."
    ),
    response_class=Response,
    responses={200: {"content": {"application/geo+json": {}}}, 304: {"description": "Unchanged"}},
)
async def areas_geojson(request: Request) -> Response:
    areas: AreaCache = request.app.state.areas
    version = await areas.version()
    etag = f'"areas-{"none" if version is None else version}"'
    headers = {
        "ETag": etag,
        "Cache-Control": f"public, max-age={CACHE_SECONDS}",
        "Access-Control-Allow-Origin": "*",
    }
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    cached = await areas.current()
    body = reference_geojson(None) if cached is None else cached.reference
    return Response(body, media_type="application/geo+json", headers=headers)
