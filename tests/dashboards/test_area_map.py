"""The Geomap panels: their two queries, as Grafana sends them, run on real PostgreSQL holding
the hand-worked area incident and give the figures and classes worked out by hand (in a run
too); their base layer is the areas' own boundaries from the gateway, never internet tiles."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import psycopg
import pytest

from dashboards.area_map import AREAS_PATH, AREAS_SQL, BASE_LAYER, HUBS_SQL, with_gateway
from dashboards.catalogue import dashboards_json
from dashboards.macros import expand
from tests.support.area_events import CENTRES, PLACES
from tests.support.figures_tables import load
from tests.support.map_events import (
    AREA_CLASS,
    HUB_CLASS,
    MAP_EVENTS,
    ON_THE_MAP,
    UNMET,
    URGENT_OPEN,
    load_map_incident,
)
from tests.support.sitrep_events import INCIDENT, T

MAPS = [(m["uid"], p) for m in dashboards_json() for p in m["panels"] if p["type"] == "geomap"]


def rows(conn: psycopg.Connection[Any], sql: str, run: str = "live") -> list[dict[str, Any]]:
    cursor = conn.execute(expand(sql, T - timedelta(days=7), T, {"run": run, "incident": INCIDENT}))
    names = [column.name for column in cursor.description or []]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


@pytest.fixture
def conn(database_url: str) -> Any:
    with psycopg.connect(database_url) as conn:
        load_map_incident(conn)
        load(conn, MAP_EVENTS[:3], run="exercise-1")  # r1, r2 and r2's acceptance
        yield conn


def test_the_areas_query_gives_each_area_its_urgent_requests_and_class(
    conn: psycopg.Connection[Any],
) -> None:
    found = {row["code"]: row for row in rows(conn, AREAS_SQL)}
    assert list(found) == ["east", "north", "south"]  # `unknown` has no centre to stand at
    for code, row in found.items():
        assert (row["area"], row["latitude"], row["longitude"]) == (
            PLACES.names[code],
            *CENTRES[code],
        )
        assert row["open urgent"] == URGENT_OPEN[code]
        assert row["unmet urgent over 4 h"] == UNMET[code]
        assert row["map class"] == AREA_CLASS[code]
    in_run = {
        row["code"]: (row["open urgent"], row["map class"])
        for row in rows(conn, AREAS_SQL, "exercise-1")
    }
    assert in_run == {"east": (0, "none"), "north": (2, "1 to 2"), "south": (0, "none")}


def test_the_hubs_query_places_every_hub_it_can_with_its_cover_class(
    conn: psycopg.Connection[Any],
) -> None:
    found = {row["hub"]: row for row in rows(conn, HUBS_SQL)}
    assert set(found) == ON_THE_MAP  # hub-x names no loaded area: no place
    assert {hub: row["map class"] for hub, row in found.items()} == {
        hub: HUB_CLASS[hub] for hub in ON_THE_MAP
    }
    assert (found["hub-e"]["latitude"], found["hub-e"]["longitude"]) == (51.385, -0.26)
    assert (found["hub-c"]["latitude"], found["hub-c"]["longitude"]) == CENTRES["north"]
    assert float(found["hub-e"]["lowest days of cover"]) == 2.5
    assert rows(conn, HUBS_SQL, "exercise-1") == []  # no hub reported in the run yet


def test_the_maps_draw_on_the_areas_own_boundaries_and_never_on_tiles() -> None:
    assert [uid for uid, _ in MAPS] == ["tandem-overview", "tandem-food-hubs"]
    for _, panel in MAPS:
        options = panel["options"]
        assert options["basemap"]["type"] == "geojson"
        assert options["basemap"]["config"]["src"] == "http://127.0.0.1:8080" + AREAS_PATH
        assert [layer["type"] for layer in options["layers"]] == ["markers", "markers"]
        assert [layer["filterData"]["options"] for layer in options["layers"]] == ["Areas", "Hubs"]
        assert [t["rawSql"] for t in panel["targets"]] == [AREAS_SQL, HUBS_SQL]


def test_push_points_the_maps_at_the_running_gateway() -> None:
    models = dashboards_json()
    moved = with_gateway(models, "https://tandem.example.org/")
    for model, before in zip(moved, models, strict=True):
        for panel, was in zip(model["panels"], before["panels"], strict=True):
            if panel["type"] == "geomap":
                assert panel["options"]["basemap"]["name"] == BASE_LAYER
                src = panel["options"]["basemap"]["config"]["src"]
                assert src == "https://tandem.example.org/v1/areas.geojson"
            else:
                assert panel == was
    assert models == dashboards_json()  # the built models are left as they were
