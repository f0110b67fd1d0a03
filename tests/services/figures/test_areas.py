"""Figures by area (docs/figures.md, "Areas"), worked out by hand for a small incident: aliases
resolved, unmet urgent requests, volunteers serving several areas, deployments and hubs, and
values that name no loaded area counted under `unknown`."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import psycopg
import pytest

from services.figures.sitrep import sitrep
from tests.support.figures_tables import load
from tests.support.places import load_places
from tests.support.reference.sitrep import Places, reference_sitrep
from tests.support.sitrep_events import INCIDENT, T, ago, event, later

PLACES = Places({"north": "North", "south": "South", "east": "East"}, {"n-ward": "north"})


def raised(request_id: str, hours_ago: float, priority: str, area: str) -> dict[str, Any]:
    return event(
        "request.raised",
        ago(hours=hours_ago),
        request_id=request_id,
        need="food",
        priority=priority,
        area=area,
        household_size=1,
        shielding=False,
        channel="helpline",
    )


def registered(volunteer_id: str, areas: list[str]) -> dict[str, Any]:
    return event(
        "volunteer.registered",
        ago(days=2),
        "volunteer-centre",
        volunteer_id=volunteer_id,
        skills=[],
        areas=areas,
        hours_per_week=2,
    )


def volunteering(kind: str, time: str, **data: Any) -> dict[str, Any]:
    return event(f"volunteer.{kind}", time, "volunteer-centre", **data)


def hub(hub_id: str, area: str, **where: float) -> list[dict[str, Any]]:
    status = event(
        "hub.status",
        ago(days=4),
        "foodbank",
        hub_id=hub_id,
        name=hub_id,
        area=area,
        status="open",
        parcels_per_day=10,
        **where,
    )
    return [status]


def stock(kind: str, hub_id: str, quantity: int, days_ago: float) -> dict[str, Any]:
    return event(
        f"stock.{kind}",
        ago(days=days_ago),
        "foodbank",
        hub_id=hub_id,
        item="food_parcel",
        quantity=quantity,
    )


EVENTS = [
    raised("r1", 5, "urgent", "north"),  # unmet: urgent, over 4 hours, never accepted
    raised("r2", 6, "urgent", "n-ward"),  # north by its alias; accepted, so met
    event("request.accepted", ago(hours=5), "foodbank", request_id="r2"),
    raised("r3", 3, "urgent", "south"),  # under 4 hours
    raised("r4", 10, "routine", "lost"),  # names no area
    raised("r5", 8, "urgent", "north"),
    event("request.fulfilled", ago(hours=1), "foodbank", request_id="r5"),  # closed
    raised("r6", 9, "urgent", "south"),
    event("request.accepted", later(hours=1), "foodbank", request_id="r6"),  # after T: unmet
    registered("v1", ["north", "n-ward", "south"]),  # north once, and south
    registered("v2", ["south"]),
    volunteering("availability", ago(days=1), volunteer_id="v2", available=False),
    registered("v3", ["north"]),
    volunteering("stood_down", ago(days=1), volunteer_id="v3"),
    volunteering(
        "deployed",
        ago(hours=3),
        deployment_id="d1",
        volunteer_id="v1",
        area="north",
        role="delivery",
    ),
    volunteering("checked_out", ago(hours=1), deployment_id="d1", minutes=60),
    volunteering(
        "deployed",
        ago(hours=30),
        deployment_id="d2",
        volunteer_id="v2",
        area="south",
        role="delivery",
    ),  # before the window; its minutes are in it
    volunteering("checked_out", ago(hours=2), deployment_id="d2", minutes=45),
    volunteering("checked_out", ago(hours=1), deployment_id="d3", minutes=30),  # never deployed
    *hub("hub-n", "n-ward", latitude=51.41, longitude=-0.3),
    stock("counted", "hub-n", 30, 3),
    stock("distributed", "hub-n", 14, 2),  # 16 left at 2 a day: 8.0 days
    *hub("hub-s", "south"),
    stock("counted", "hub-s", 10, 3),
    stock("distributed", "hub-s", 7, 1),  # 3 left at 1 a day: 3.0 days
]

ZERO = {
    "open": 0,
    "urgent_open": 0,
    "unmet_urgent_over_4h": 0,
    "volunteers_registered": 0,
    "volunteers_available": 0,
    "deployments_window": 0,
    "minutes_window": 0,
    "hubs": [],
    "lowest_days_of_cover": None,
}
EXPECTED = [
    {"area": "east", "name": "East", **ZERO},
    {
        "area": "north",
        "name": "North",
        "open": 2,
        "urgent_open": 2,
        "unmet_urgent_over_4h": 1,
        "volunteers_registered": 1,
        "volunteers_available": 1,
        "deployments_window": 1,
        "minutes_window": 60,
        "hubs": ["hub-n"],
        "lowest_days_of_cover": 8.0,
    },
    {
        "area": "south",
        "name": "South",
        "open": 2,
        "urgent_open": 2,
        "unmet_urgent_over_4h": 1,
        "volunteers_registered": 2,
        "volunteers_available": 1,
        "deployments_window": 0,
        "minutes_window": 45,
        "hubs": ["hub-s"],
        "lowest_days_of_cover": 3.0,
    },
    {"area": "unknown", "name": "Unknown area", **ZERO, "open": 1, "minutes_window": 30},
]


@pytest.fixture
def conn(database_url: str) -> Iterator[psycopg.Connection[Any]]:
    with psycopg.connect(database_url) as conn:
        load_places(conn, PLACES)
        load(conn, EVENTS)
        yield conn


def areas_at(conn: psycopg.Connection[Any], at: Any) -> list[dict[str, Any]]:
    return sitrep(conn, INCIDENT, at).model_dump(mode="json")["areas"]


def test_every_figure_by_area_is_as_worked_out_by_hand(conn: psycopg.Connection[Any]) -> None:
    assert areas_at(conn, T) == EXPECTED
    assert reference_sitrep(EVENTS, INCIDENT, T, PLACES)["areas"] == EXPECTED


def test_the_areas_add_up_to_the_incidents_figures(conn: psycopg.Connection[Any]) -> None:
    report = sitrep(conn, INCIDENT, T)
    assert sum(a.open for a in report.areas) == report.requests.open
    assert sum(a.minutes_window for a in report.areas) == report.volunteers.minutes_window


def test_unknown_is_listed_only_when_something_counts_there(
    conn: psycopg.Connection[Any],
) -> None:
    # 20 hours before T only the registrations and hubs count, all in loaded areas.
    assert [a["area"] for a in areas_at(conn, T - timedelta(hours=20))] == [
        "east",
        "north",
        "south",
    ]


def test_a_new_alias_re_attributes_every_figure_at_once(conn: psycopg.Connection[Any]) -> None:
    load_places(conn, Places(PLACES.names, {**PLACES.aliases, "lost": "east"}))
    by_area = {a["area"]: a for a in areas_at(conn, T)}
    assert by_area["east"]["open"] == 1  # r4, without recounting an event
    assert by_area["unknown"] == {**EXPECTED[-1], "open": 0}


def test_with_no_area_loaded_everything_counts_under_unknown(database_url: str) -> None:
    with psycopg.connect(database_url) as conn:
        load(conn, EVENTS)
        [unknown] = areas_at(conn, T)
    assert unknown["area"] == "unknown"
    assert unknown["open"] == 5
    assert unknown["hubs"] == ["hub-n", "hub-s"]
    assert unknown["lowest_days_of_cover"] == 3.0
