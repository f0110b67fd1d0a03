"""Areas loaded as `tandem areas load` leaves them, through the areas store, for tests of the
figures by area: each at a given centre, with a given boundary or none (an area loaded as a
point)."""

from __future__ import annotations

from typing import Any

import psycopg

from services.geography.boundaries import Area, AreaSet
from services.geography.store import load_areas
from tests.support.reference.sitrep import Places


def load_places(
    conn: psycopg.Connection[Any],
    places: Places,
    centres: dict[str, tuple[float, float]] | None = None,
    boundaries: dict[str, dict[str, Any]] | None = None,
) -> None:
    """A new area version holding `places`; each area at `centres[code]` (lat, lon) or 51, 0,
    with `boundaries[code]` (a GeoJSON geometry) or none."""
    areas = []
    for code, name in places.names.items():
        latitude, longitude = (centres or {}).get(code, (51.0, 0.0))
        areas.append(
            Area(
                code=code,
                name=name,
                latitude=latitude,
                longitude=longitude,
                boundary=(boundaries or {}).get(code),
                aliases=tuple(a for a, c in places.aliases.items() if c == code),
            )
        )
    load_areas(conn, AreaSet(source="places", digest="", areas=tuple(areas)), "tests")
    conn.commit()
