"""What a map reads besides the sitrep: the loaded areas' places and the hubs' places at T, from
the figures' own statements (services/figures/area_map.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
import psycopg

from services.figures.area_map import BOUNDARIES, HUB_PLACES, Boundary, HubPlace
from services.figures.area_map import boundaries as boundaries_of
from services.figures.area_map import hub_places as hub_places_of
from services.figures.areas import AREA_NAMES
from services.figures.sitrep import Moment

Conn = psycopg.Connection[Any]


@dataclass(frozen=True)
class LoadedAreas:
    """The latest version of the areas: where it came from (the loaded file's own words, which
    say when its boundaries are only illustrative), when it was loaded, and each area's place."""

    version: int
    source: str
    loaded_at: datetime
    places: dict[str, Boundary]
    names: dict[str, str]


def loaded_areas(conn: Conn) -> LoadedAreas | None:
    """The latest area version, or None while no area has been loaded."""
    latest = conn.execute(
        "SELECT version, source, loaded_at FROM area_versions ORDER BY version DESC LIMIT 1"
    ).fetchone()
    if latest is None:
        return None
    places = boundaries_of(conn.execute(BOUNDARIES).fetchall())
    names = {code: name for code, name in conn.execute(AREA_NAMES).fetchall()}
    return LoadedAreas(latest[0], latest[1], latest[2], places, names)


def reference_geojson(loaded: LoadedAreas | None) -> bytes:
    """The loaded areas as a GeoJSON FeatureCollection (RFC 7946, WGS84) without any figure:
    each area's boundary, or its centre for an area loaded as a point, with its code, name and
    GSS code. What a map draws its areas from: Grafana's Geomap base layer reads it."""
    if loaded is None:
        return orjson.dumps({"type": "FeatureCollection", "features": []})
    features = [
        {
            "type": "Feature",
            "id": code,
            "geometry": place.feature_geometry(),
            "properties": {
                "code": code,
                "name": loaded.names.get(code, code),
                "gss": place.gss,
                "latitude": place.latitude,
                "longitude": place.longitude,
            },
        }
        for code, place in sorted(loaded.places.items())
    ]
    return orjson.dumps(
        {
            "type": "FeatureCollection",
            "version": loaded.version,
            "source": loaded.source,
            "features": features,
        }
    )


def hubs_at(conn: Conn, incident: str, at: datetime, run: str = "live") -> list[HubPlace]:
    """Where each hub of the incident is at `at`, with its lowest days of cover."""
    params = Moment.of(run, incident, at).params()
    return hub_places_of(conn.execute(HUB_PLACES, params).fetchall())
