"""Areas loaded straight into the reference tables, as `tandem areas load` leaves them, for
tests of the figures by area (the loader has tests of its own)."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from tests.support.reference.sitrep import Places


def load_places(
    conn: psycopg.Connection[Any],
    places: Places,
    centres: dict[str, tuple[float, float]] | None = None,
    boundaries: dict[str, dict[str, Any]] | None = None,
) -> None:
    """A new area version holding `places`; each area at `centres[code]` (lat, lon) or 51, 0,
    with `boundaries[code]` (a GeoJSON geometry) or none."""
    (version,) = conn.execute(
        "INSERT INTO area_versions (loaded_by, source, digest, areas)"
        " VALUES ('tests', 'places', '', %s) RETURNING version",
        (len(places.names),),
    ).fetchone() or (None,)
    for code, name in places.names.items():
        latitude, longitude = (centres or {}).get(code, (51.0, 0.0))
        boundary = (boundaries or {}).get(code)
        conn.execute(
            "INSERT INTO areas (version, code, name, latitude, longitude, boundary)"
            " VALUES (%s, %s, %s, %s, %s, %s)",
            (version, code, name, latitude, longitude, boundary and Jsonb(boundary)),
        )
    for alias, code in places.aliases.items():
        conn.execute(
            "INSERT INTO area_aliases (version, alias, code) VALUES (%s, %s, %s)",
            (version, alias, code),
        )
    conn.commit()
