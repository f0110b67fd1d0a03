"""The debrief's unmet urgent requests by area at the end of a run, beside the original's at the
same scenario time: a run created from the archived hand-worked incident, its figures counted as
the run's aggregator counts them (with the players' own moves), and the report opened in
headless Chromium, its table and its pair of maps checked against figures worked out by hand."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from services.exercises import runs
from services.exercises.debrief import gather
from services.exercises.debrief_html import render
from services.maps.classes import COUNT_CLASSES
from services.replay.session import ReplayPlan, create
from tests.support.area_events import raised
from tests.support.browser import axe_violations, chromium_page
from tests.support.exercise_fixtures import archive
from tests.support.figures_tables import load
from tests.support.map_events import MAP_EVENTS, UNMET, load_map_incident
from tests.support.sitrep_events import INCIDENT, T, ago, event

pytestmark = pytest.mark.timeout(120)

COLOUR = {shade.label: shade.colour for shade in COUNT_CLASSES}
# In the run, the foodbank takes on r1 in time, and a new urgent request in south waits.
MOVES = [
    event("request.accepted", ago(hours=4.5), "foodbank", request_id="r1"),
    raised("r10", 5, "urgent", "south"),
]
RUN_UNMET = {**UNMET, "north": 0, "south": 2}


def test_unmet_urgent_requests_by_area_at_the_end_beside_the_original(
    database_url: str, tmp_path: Path
) -> None:
    archive(database_url, MAP_EVENTS, live=False)  # what the run replays
    with psycopg.connect(database_url) as conn:
        load_map_incident(conn)  # the areas, and the original's live figures
        create(conn, ReplayPlan(incident=INCIDENT, run="drill", speed=None))
        load(conn, MAP_EVENTS + MOVES, run="drill")
        runs.finish(conn, "drill", T)  # stopped at T: the debrief's end
        conn.commit()
        report = gather(conn, "drill")

    assert report.reached == T
    assert {a.area: a.unmet_urgent_over_4h for a in report.areas.original} == {
        **UNMET,
        "unknown": 0,
    }
    assert {a.area: a.unmet_urgent_over_4h for a in report.areas.run} == {
        **RUN_UNMET,
        "unknown": 0,
    }
    page_file = tmp_path / "debrief.html"
    page_file.write_text(render(report))
    with chromium_page() as (page, errors):
        page.goto(page_file.as_uri())
        rows = page.locator("table:has(th:text('difference')) tbody tr")
        assert [row.locator("td").all_text_contents() for row in rows.all()] == [
            ["East (east)", "1", "1", "+0"],
            ["North (north)", "0", "1", "-1"],
            ["South (south)", "2", "1", "+1"],
            ["Unknown area (unknown)", "0", "0", "+0"],
        ]
        maps = page.locator("figure:has(svg.area-map)")
        assert maps.all_inner_texts()[0].startswith("This run")
        for n, unmet in enumerate((RUN_UNMET, UNMET)):
            shapes = maps.nth(n).locator(".area")
            drawn = {
                shapes.nth(i).get_attribute("data-area"): shapes.nth(i).get_attribute("fill")
                for i in range(shapes.count())
            }
            expected_class = {
                area: "none" if count == 0 else "1 to 2" for area, count in unmet.items()
            }
            assert drawn == {area: COLOUR[label] for area, label in expected_class.items()}
            assert maps.nth(n).locator(".hub").count() == 5  # every hub with a place
        assert axe_violations(page) == []
        assert errors == []
