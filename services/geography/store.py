"""Areas kept in PostgreSQL (infra/migrations/0014_areas.sql): every load a new version, every
version kept, the latest the current one; and the area codes events use that it does not know.

A load is one transaction under one lock, so a version is whole or absent, and "load unless
some version is loaded" (the demo's) cannot race a deployment's own load.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from services.geography.boundaries import Area, AreaSet

Conn = psycopg.Connection[Any]

AREAS_LOCK = "tandem:areas"


@dataclass(frozen=True)
class AreaVersion:
    """One load: when, by whom, from which file (its name and SHA-256), how many areas."""

    version: int
    loaded_at: datetime
    loaded_by: str
    source: str
    digest: str
    areas: int


@dataclass(frozen=True)
class UnknownCode:
    """An `area` value a partner's events used that names no current area, and how many of its
    events used it."""

    partner: str
    area: str
    events: int


def load_areas(conn: Conn, area_set: AreaSet, loaded_by: str) -> int:
    """Load `area_set` as a new version, the current one from now on; its number."""
    with conn.transaction():
        _lock(conn)
        return _insert(conn, area_set, loaded_by)


def load_areas_unless_any(conn: Conn, area_set: AreaSet, loaded_by: str) -> int | None:
    """Load `area_set` as the first version; None, loading nothing, when one is loaded already
    (a deployment's own areas are never replaced)."""
    with conn.transaction():
        _lock(conn)
        if conn.execute("SELECT FROM area_versions LIMIT 1").fetchone() is not None:
            return None
        return _insert(conn, area_set, loaded_by)


def _lock(conn: Conn) -> None:
    conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (AREAS_LOCK,))


def _insert(conn: Conn, area_set: AreaSet, loaded_by: str) -> int:
    row = conn.execute(
        "INSERT INTO area_versions (loaded_by, source, digest, areas) VALUES (%s, %s, %s, %s)"
        " RETURNING version",
        (loaded_by, area_set.source, area_set.digest, len(area_set.areas)),
    ).fetchone()
    assert row is not None
    version: int = row[0]
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO areas (version, code, name, gss, latitude, longitude, boundary)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s)",
            [
                (version, a.code, a.name, a.gss, a.latitude, a.longitude, _jsonb(a.boundary))
                for a in area_set.areas
            ],
        )
        cur.executemany(
            "INSERT INTO area_aliases (version, alias, code) VALUES (%s, %s, %s)",
            [(version, alias, a.code) for a in area_set.areas for alias in a.aliases],
        )
    return version


def _jsonb(boundary: dict[str, Any] | None) -> Jsonb | None:
    return None if boundary is None else Jsonb(boundary)


def versions(conn: Conn) -> list[AreaVersion]:
    """Every version loaded, oldest first: the history of the areas."""
    rows = conn.execute(
        "SELECT version, loaded_at, loaded_by, source, digest, areas FROM area_versions"
        " ORDER BY version"
    ).fetchall()
    return [AreaVersion(*row) for row in rows]


def current_areas(conn: Conn) -> list[Area]:
    """The areas of the latest version by code, each with its aliases sorted; none before any
    load."""
    aliases: dict[str, list[str]] = {}
    for value, code in conn.execute(
        "SELECT value, code FROM current_area_codes WHERE value <> code ORDER BY value"
    ):
        aliases.setdefault(code, []).append(value)
    rows = conn.execute(
        "SELECT code, name, gss, latitude, longitude, boundary FROM current_areas"
        ' ORDER BY code COLLATE "C"'
    ).fetchall()
    return [
        Area(
            code=code,
            name=name,
            gss=gss,
            latitude=latitude,
            longitude=longitude,
            boundary=boundary,
            aliases=tuple(aliases.get(code, ())),
        )
        for code, name, gss, latitude, longitude, boundary in rows
    ]


# Where the live figures keep an event's `area`: a request's (any lifecycle event that carries
# one), a hub's status, a deployment, and each area a volunteer registered for.
UNKNOWN_CODES_SQL = """
WITH used AS (
    SELECT partner, area FROM request_events WHERE run = 'live' AND area IS NOT NULL
    UNION ALL
    SELECT partner, area FROM hub_status WHERE run = 'live'
    UNION ALL
    SELECT partner, area FROM deployment_events WHERE run = 'live' AND area IS NOT NULL
    UNION ALL
    SELECT partner, unnest(areas) FROM volunteer_events WHERE run = 'live' AND areas IS NOT NULL
)
SELECT partner, area, count(*) FROM used
WHERE NOT EXISTS (SELECT FROM current_area_codes c WHERE c.value = used.area)
GROUP BY partner, area
ORDER BY partner COLLATE "C", area COLLATE "C"
"""


def unknown_codes(conn: Conn) -> list[UnknownCode]:
    """Per partner, the `area` values its live events used that are neither a current area's
    code nor an alias (the figures count those under `unknown`), with how many events."""
    return [UnknownCode(*row) for row in conn.execute(UNKNOWN_CODES_SQL)]
