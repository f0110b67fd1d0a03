"""Figures by area (docs/figures.md, "Areas") against the small incident worked out by hand in
tests/support/area_events.py, and against the reference."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import psycopg
import pytest

from services.figures.sitrep import sitrep
from tests.support.area_events import EVENTS, EXPECTED, PLACES
from tests.support.figures_tables import load
from tests.support.places import load_places
from tests.support.reference.sitrep import Places, reference_sitrep
from tests.support.sitrep_events import INCIDENT, T


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
