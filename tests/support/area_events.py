"""A small incident for the figures by area, worked out by hand: aliases resolved, unmet urgent
requests, volunteers serving several areas, deployments and hubs, and values that name no loaded
area counted under `unknown`. The areas have square boundaries around their centres."""

from __future__ import annotations

from typing import Any

from tests.support.reference.sitrep import Places
from tests.support.sitrep_events import ago, event, later

PLACES = Places({"north": "North", "south": "South", "east": "East"}, {"n-ward": "north"})
CENTRES = {"north": (51.42, -0.3), "south": (51.36, -0.3), "east": (51.39, -0.25)}


def square(latitude: float, longitude: float, half: float = 0.02) -> dict[str, Any]:
    """A GeoJSON polygon around a centre: longitude first, the ring closed, anticlockwise."""
    west, east, south, north = longitude - half, longitude + half, latitude - half, latitude + half
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


BOUNDARIES = {code: square(*centre) for code, centre in CENTRES.items()}


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
