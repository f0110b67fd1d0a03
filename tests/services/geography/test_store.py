"""Areas in PostgreSQL: each load a version, every version kept, the latest current; aliases
resolve through current_area_codes; the area codes partners' live events use that no current
area answers to, from the figures the aggregator's writer stores."""

from __future__ import annotations

import hashlib
from typing import Any

import psycopg

from services.geography.boundaries import parse_areas
from services.geography.store import (
    UnknownCode,
    current_areas,
    load_areas,
    load_areas_unless_any,
    unknown_codes,
    versions,
)
from tests.support.area_files import WARDS, WARDS_CSV, collection, feature, square
from tests.support.figures_tables import load
from tests.support.sitrep_events import event, hub_status, raised

RENAMED = collection(
    feature(square(-0.32, 51.40), code="canbury", name="Canbury Gardens", aliases=["kt2-north"]),
    feature(square(-0.30, 51.40), code="norbiton", name="Norbiton", aliases=["e05000409"]),
)
"""A second version: Norbiton by its slug now, its ONS code an alias; Surbiton Hill gone."""


def rows(conn: psycopg.Connection[Any], query: str) -> list[tuple[Any, ...]]:
    return conn.execute(query).fetchall()


def test_a_load_is_one_version_with_its_areas_and_aliases(database_url: str) -> None:
    area_set = parse_areas(WARDS, "wards.geojson")
    with psycopg.connect(database_url) as conn:
        assert load_areas(conn, area_set, "resilience-officer") == 1
        (version,) = versions(conn)
        assert (version.version, version.loaded_by, version.source, version.areas) == (
            1,
            "resilience-officer",
            "wards.geojson",
            3,
        )
        assert version.digest == hashlib.sha256(WARDS).hexdigest()
        # Read back as loaded, by code, each area's aliases sorted.
        assert current_areas(conn) == [
            area.model_copy(update={"aliases": tuple(sorted(area.aliases))})
            for area in sorted(area_set.areas, key=lambda a: a.code)
        ]
        assert rows(conn, "SELECT alias, code FROM area_aliases ORDER BY alias") == [
            ("cambridge-estate", "e05000409"),
            ("kt2-north", "canbury"),
            ("norbiton", "e05000409"),
        ]


def test_history_is_kept_and_the_latest_version_is_current(database_url: str) -> None:
    with psycopg.connect(database_url) as conn:
        load_areas(conn, parse_areas(WARDS, "wards.geojson"), "officer-a")
        load_areas(conn, parse_areas(RENAMED, "wards-2.geojson"), "officer-b")
        assert [(v.version, v.loaded_by, v.source, v.areas) for v in versions(conn)] == [
            (1, "officer-a", "wards.geojson", 3),
            (2, "officer-b", "wards-2.geojson", 2),
        ]
        assert [(a.code, a.name, a.aliases) for a in current_areas(conn)] == [
            ("canbury", "Canbury Gardens", ("kt2-north",)),
            ("norbiton", "Norbiton", ("e05000409",)),
        ]
        # The first version is still there, whole.
        assert rows(conn, "SELECT version, count(*) FROM areas GROUP BY 1 ORDER BY 1") == [
            (1, 3),
            (2, 2),
        ]
        # Every value an event may use resolves against the latest version only.
        assert rows(conn, "SELECT value, code FROM current_area_codes ORDER BY value") == [
            ("canbury", "canbury"),
            ("e05000409", "norbiton"),
            ("kt2-north", "canbury"),
            ("norbiton", "norbiton"),
        ]


def test_points_from_csv_are_kept_without_a_boundary(database_url: str) -> None:
    with psycopg.connect(database_url) as conn:
        load_areas(conn, parse_areas(WARDS_CSV, "wards.csv"), "officer")
        assert rows(conn, "SELECT code, latitude, longitude, boundary FROM current_areas") == [
            ("canbury", 51.419, -0.3, None),
            ("e05000409", 51.411, -0.286, None),
            ("surbiton-hill", 51.396, -0.291, None),
        ]


def test_loading_unless_any_never_replaces_loaded_areas(database_url: str) -> None:
    with psycopg.connect(database_url) as conn:
        assert load_areas_unless_any(conn, parse_areas(WARDS, "wards.geojson"), "demo") == 1
        assert load_areas_unless_any(conn, parse_areas(RENAMED, "other.geojson"), "demo") is None
        assert [v.source for v in versions(conn)] == ["wards.geojson"]


TIME = "2024-03-10T09:00:00Z"


def test_unknown_codes_per_partner_from_the_stored_figures(database_url: str) -> None:
    events = [
        # Resolve: a code, a partner's alias, an ONS code as an event writes it (lower case).
        raised("r-1", TIME, area="canbury"),
        raised("r-2", TIME, area="kt2-north"),
        raised("r-3", TIME, area="e05000409"),
        # Do not resolve: the council's own slugs, one of them twice.
        raised("r-4", TIME, area="riverside"),
        raised("r-5", TIME, area="riverside"),
        raised("r-6", TIME, area="old-town"),
        hub_status("hub-a", "open", 40, TIME, area="hub-street"),
        hub_status("hub-b", "open", 40, TIME, area="canbury"),
        event(
            "volunteer.registered",
            "2024-03-10T07:00:00Z",
            "volunteer-centre",
            volunteer_id="v-1",
            skills=["driving"],
            areas=["canbury", "riverside", "far-away"],
            hours_per_week=4,
        ),
        event(
            "volunteer.deployed",
            "2024-03-10T10:00:00Z",
            "volunteer-centre",
            deployment_id="d-1",
            volunteer_id="v-1",
            area="far-away",
            role="delivery",
        ),
    ]
    with psycopg.connect(database_url) as conn:
        load(conn, events)
        # An exercise run is not what partners' systems send: not reported.
        load(conn, [raised("x-1", TIME, area="exercise-only")], run="exercise-1")
        load_areas(conn, parse_areas(WARDS, "wards.geojson"), "officer")
        assert unknown_codes(conn) == [
            UnknownCode("council", "old-town", 1),
            UnknownCode("council", "riverside", 2),
            UnknownCode("foodbank", "hub-street", 1),
            UnknownCode("volunteer-centre", "far-away", 2),
            UnknownCode("volunteer-centre", "riverside", 1),
        ]
        # With the slugs as aliases in a new version, nothing is unknown any more.
        aliased = collection(
            feature(
                square(-0.32, 51.40),
                code="canbury",
                name="Canbury",
                aliases=["kt2-north", "riverside", "old-town", "hub-street", "far-away"],
            ),
            feature(square(-0.30, 51.40), code="e05000409", name="Norbiton"),
        )
        load_areas(conn, parse_areas(aliased, "aliased.geojson"), "officer")
        assert unknown_codes(conn) == []


def test_before_any_load_every_code_is_unknown(database_url: str) -> None:
    with psycopg.connect(database_url) as conn:
        load(conn, [raised("r-1", TIME, area="canbury")])
        assert unknown_codes(conn) == [UnknownCode("council", "canbury", 1)]
        assert current_areas(conn) == []
