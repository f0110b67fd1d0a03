"""The board's map at `/`, in headless Chromium: one shape per loaded area shaded by the class
of its open urgent requests, each hub coloured by the class of its lowest days of cover — the
classes worked out by hand in tests/support/map_events.py — with tooltips, a legend, where the
boundaries come from, and no WCAG 2.2 A/AA violation; with no area loaded, no map and how to
load one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from services.figures.sitrep import rfc3339_utc
from services.maps.classes import COUNT_CLASSES, COVER_CLASSES
from services.settings import Settings
from tests.support.area_events import PLACES
from tests.support.browser import axe_violations, chromium_page
from tests.support.map_events import (
    AREA_CLASS,
    HUB_CLASS,
    ON_THE_MAP,
    UNMET,
    URGENT_OPEN,
    load_map_incident,
)
from tests.support.servers import running_gateway
from tests.support.sitrep_events import T

pytestmark = pytest.mark.timeout(120)

COLOUR = {shade.label: shade.colour for shade in (*COUNT_CLASSES, *COVER_CLASSES)}
AT = f"/?at={rfc3339_utc(T)}"


def gateway_over(database_url: str, tmp_path: Path, **places: bool) -> Iterator[str]:
    with psycopg.connect(database_url) as conn:
        load_map_incident(conn, **places)
    settings = Settings(TANDEM_DATA_DIR=tmp_path / "data", DATABASE_URL=database_url)
    with running_gateway(settings) as url:
        yield url


@pytest.fixture
def board(database_url: str, tmp_path: Path) -> Iterator[str]:
    yield from gateway_over(database_url, tmp_path)


def shapes(page: Any, kind: str) -> dict[str, dict[str, Any]]:
    """Each area's or hub's shape as drawn: its tag, fill, class, tooltip and box on screen."""
    found = page.eval_on_selector_all(
        f"svg.area-map .{kind}",
        """nodes => nodes.map(n => {
            const box = n.getBBox();
            return [n.dataset.area || n.dataset.hub, {
                tag: n.tagName, fill: n.getAttribute('fill'), shade: n.dataset.class,
                title: n.querySelector('title').textContent,
                x: box.x + box.width / 2, y: box.y + box.height / 2}];
        })""",
    )
    return dict(found)


def test_one_shape_per_area_shaded_by_its_open_urgent_requests(board: str) -> None:
    with chromium_page() as (page, errors):
        page.goto(board + AT)
        areas = shapes(page, "area")
        assert sorted(areas) == ["east", "north", "south"]  # `unknown` has no place
        for code, shape in areas.items():
            assert shape["tag"] == "path"
            assert (shape["shade"], shape["fill"]) == (
                AREA_CLASS[code],
                COLOUR[AREA_CLASS[code]],
            )
            name = PLACES.names[code]
            assert shape["title"].startswith(
                f"{name} ({code}): {URGENT_OPEN[code]} open urgent requests,"
                f" {UNMET[code]} unmet over 4 hours"
            )
        # Placed as the squares are on the ground: north above south, east to the right.
        assert areas["north"]["y"] < areas["east"]["y"] < areas["south"]["y"]
        assert areas["north"]["x"] == pytest.approx(areas["south"]["x"])
        assert areas["east"]["x"] > areas["north"]["x"]
        # Shown in the table too, with the class in words.
        rows = page.locator("table:has(caption:text('Open urgent requests by area')) tbody tr")
        assert {
            row.locator("th").inner_text(): row.locator("td").all_inner_texts()[:2]
            for row in rows.all()
        } == {
            "East (east)": ["3", "3 to 5"],
            "North (north)": ["2", "1 to 2"],
            "South (south)": ["2", "1 to 2"],
            "Unknown area (unknown)": ["0", "none"],
        }
        assert errors == []


def test_hubs_are_coloured_by_their_lowest_days_of_cover(board: str) -> None:
    with chromium_page() as (page, errors):
        page.goto(board + AT)
        hubs = shapes(page, "hub")
        assert set(hubs) == ON_THE_MAP
        for hub_id, marker in hubs.items():
            assert (marker["shade"], marker["fill"]) == (
                HUB_CLASS[hub_id],
                COLOUR[HUB_CLASS[hub_id]],
            )
            assert marker["title"].startswith(f"{hub_id} ({hub_id}), open: ")
        assert hubs["hub-e"]["title"].endswith("lowest days of cover 2.5")
        assert hubs["hub-u"]["title"].endswith("no days of cover known")
        # hub-n at its own place, hub-c at its area's centre: north's.
        areas = shapes(page, "area")
        assert hubs["hub-c"]["x"] == pytest.approx(areas["north"]["x"], abs=0.5)
        assert hubs["hub-c"]["y"] == pytest.approx(areas["north"]["y"], abs=0.5)
        assert hubs["hub-n"]["y"] > hubs["hub-c"]["y"]  # 51.41 is south of 51.42
        where = page.locator("table:has(caption:text('Hubs on the map')) tbody tr")
        assert {
            row.locator("th").inner_text(): row.locator("td").all_inner_texts()[3]
            for row in where.all()
        }["hub-x (hub-x)"] == "no place known"
        assert errors == []


def test_the_map_has_a_legend_and_says_where_its_boundaries_come_from(board: str) -> None:
    with chromium_page() as (page, errors):
        page.goto(board + AT)
        legend = page.locator(".map-legend").inner_text()
        for shade in (*COUNT_CLASSES, *COVER_CLASSES):
            assert shade.label in legend
        source = page.locator("[data-areas-source]").inner_text()
        assert source.startswith("Area boundaries: places (version 1, loaded ")
        name = page.get_by_role("img", name="Map of 3 areas", exact=False)
        assert name.count() == 1
        assert axe_violations(page) == []
        assert errors == []


def test_an_area_loaded_as_a_point_is_a_circle(database_url: str, tmp_path: Path) -> None:
    for url in gateway_over(database_url, tmp_path, outlines=False):
        with chromium_page() as (page, errors):
            page.goto(url + AT)
            areas = shapes(page, "area")
            assert {code: shape["tag"] for code, shape in areas.items()} == {
                "east": "circle",
                "north": "circle",
                "south": "circle",
            }
            assert areas["east"]["fill"] == COLOUR["3 to 5"]
            assert errors == []


def test_with_no_area_loaded_there_is_no_map_and_the_board_says_how_to_load_one(
    database_url: str, tmp_path: Path
) -> None:
    for url in gateway_over(database_url, tmp_path, places=False):
        page = httpx.get(url + AT).text
        assert "svg class='area-map'" not in page and "class='area-map'" not in page
        assert "No areas are loaded, so there is no map" in page
        assert "<code>tandem areas load FILE</code>" in page
