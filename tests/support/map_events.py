"""The hand-worked area incident (tests/support/area_events.py) with what a map needs to show
every class: three more urgent requests in east, and hubs at every level of cover, one placed
by its own coordinates, one at its area's centre, one in no loaded area (so nowhere on a map).

The classes each area and hub falls in are worked out here by hand, for the maps' tests to
compare with what they draw."""

from __future__ import annotations

from typing import Any

import psycopg

from tests.support.area_events import BOUNDARIES, CENTRES, EVENTS, PLACES, hub, raised, stock
from tests.support.figures_tables import load
from tests.support.places import load_places

MAP_EVENTS = [
    *EVENTS,
    raised("r7", 2, "urgent", "east"),
    raised("r8", 1, "urgent", "east"),
    raised("r9", 6, "urgent", "east"),  # over 4 hours, never accepted: unmet
    *hub("hub-e", "east", latitude=51.385, longitude=-0.26),
    stock("counted", "hub-e", 19, 3),
    stock("distributed", "hub-e", 14, 2),  # 5 left at 2 a day: 2.5 days, low
    *hub("hub-c", "north"),  # at north's centre
    stock("counted", "hub-c", 10, 3),
    stock("distributed", "hub-c", 9, 2),  # 1 left at 9/7 a day: 0.78 days, critical
    *hub("hub-x", "lost"),  # no loaded area: not on the map
    stock("counted", "hub-x", 30, 3),
    stock("distributed", "hub-x", 7, 2),  # 23 left at 1 a day: 23 days
    *hub("hub-u", "south"),
    stock("counted", "hub-u", 40, 3),  # nothing distributed: cover unknown
]

# Open urgent requests at T: north r1, r2 (r5 fulfilled); south r3, r6; east r7, r8, r9.
URGENT_OPEN = {"east": 3, "north": 2, "south": 2}
UNMET = {"east": 1, "north": 1, "south": 1}
AREA_CLASS = {"east": "3 to 5", "north": "1 to 2", "south": "1 to 2"}
HUB_CLASS = {
    "hub-c": "critical: under 2 days of cover",
    "hub-e": "low: under 3 days of cover",
    "hub-n": "3 days of cover or more",  # 8.0 days
    "hub-s": "3 days of cover or more",  # 3.0 days
    "hub-u": "days of cover unknown",
    "hub-x": "3 days of cover or more",
}
ON_THE_MAP = {"hub-c", "hub-e", "hub-n", "hub-s", "hub-u"}


def load_map_incident(
    conn: psycopg.Connection[Any], *, places: bool = True, outlines: bool = True
) -> None:
    """The areas (with their square boundaries, or as points only) and the incident's live
    figures; with `places` false, no area at all."""
    if places:
        load_places(conn, PLACES, CENTRES, BOUNDARIES if outlines else None)
    load(conn, MAP_EVENTS)
