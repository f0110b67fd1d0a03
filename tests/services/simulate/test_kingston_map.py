"""The demo's map: the shipped kingston-areas.geojson is what the generator writes, loads cleanly
with the areas checker, says it is illustrative, and has every area the demo's events name; each
demo hub carries its place, inside its own area."""

from __future__ import annotations

import json
from typing import Any

import pytest
from shapely.geometry import Point, shape

from services.geography.boundaries import AreaSet, read_areas
from services.simulate import build
from services.simulate.borough import HUBS, WARDS
from services.simulate.kingston_map import AREAS_FILE, render


@pytest.fixture(scope="module")
def demo_areas() -> AreaSet:
    return read_areas(AREAS_FILE)


@pytest.fixture(scope="module")
def demo_data() -> list[dict[str, Any]]:
    return [event["data"] for event in build("kingston-2020").events]


def test_the_shipped_file_is_what_the_generator_writes() -> None:
    assert AREAS_FILE.read_text(encoding="utf-8") == render()


def test_it_loads_cleanly_one_polygon_per_ward(demo_areas: AreaSet) -> None:
    assert [area.code for area in demo_areas.areas] == list(WARDS)
    assert all(area.boundary and area.boundary["type"] == "Polygon" for area in demo_areas.areas)
    # Cells of one borough: side by side, none overlapping another.
    shapes = [shape(area.boundary) for area in demo_areas.areas]
    for n, one in enumerate(shapes):
        assert all(one.intersection(other).area < 1e-9 for other in shapes[n + 1 :])


def test_it_says_it_is_illustrative_not_the_real_ward_map() -> None:
    doc = json.loads(AREAS_FILE.read_text(encoding="utf-8"))
    assert "NOT the real ward map" in doc["illustrative"]
    assert all(feature["properties"]["illustrative"] is True for feature in doc["features"])


def test_every_area_the_demo_names_is_in_it(
    demo_areas: AreaSet, demo_data: list[dict[str, Any]]
) -> None:
    named: set[str] = set()
    for data in demo_data:
        named |= set(data.get("areas", ())) | ({data["area"]} if "area" in data else set())
    assert named == {area.code for area in demo_areas.areas}


def test_each_hub_is_placed_inside_its_own_area(demo_areas: AreaSet) -> None:
    boundaries = {area.code: shape(area.boundary) for area in demo_areas.areas}
    for hub in HUBS:
        assert boundaries[hub.area].contains(Point(hub.longitude, hub.latitude)), hub.id


def test_the_demo_hubs_status_events_carry_their_place(demo_data: list[dict[str, Any]]) -> None:
    places = {hub.id: (hub.latitude, hub.longitude) for hub in HUBS}
    statuses = [data for data in demo_data if "parcels_per_day" in data]
    assert statuses and {s["hub_id"] for s in statuses} == set(places)
    assert all((s["latitude"], s["longitude"]) == places[s["hub_id"]] for s in statuses)
