"""The situation board at `/`, opened in headless Chromium as a projector or a newcomer opens it:
its figures are the sitrep's for the same T, it refreshes itself (and can be paused), `?at=` and
`?incident=` work, and it — with the exercise debrief — passes axe-core's WCAG 2.2 A/AA rules."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from services.exercises.clock import Segment
from services.exercises.debrief import AreasAtEnd, Comparison, Debrief, Figures, InjectOutcome
from services.exercises.debrief_html import render
from services.exercises.runs import Run, create_run
from services.figures.area_map import Boundary, HubPlace
from services.figures.areas import AreaLine
from services.figures.incidents import Incident, default_at
from services.figures.referrals import ReferralAnswers
from services.figures.sitrep import rfc3339_utc, sitrep
from services.maps.places import LoadedAreas
from services.settings import Settings
from services.store.partners import Partner, add_partner
from tests.support.browser import axe_violations, chromium_page
from tests.support.figures_tables import load
from tests.support.servers import running_gateway
from tests.support.sitrep_events import INCIDENT, SCENARIO, T

pytestmark = pytest.mark.timeout(120)

LATEST = max(datetime.fromisoformat(e["time"]) for e in SCENARIO).astimezone(UTC)


@pytest.fixture
def board(database_url: str, tmp_path: Path) -> Iterator[str]:
    """The gateway over a database holding the reference scenario, its partners and a run."""
    with psycopg.connect(database_url) as conn:
        load(conn, SCENARIO)
        for partner in sorted({e["partner"] for e in SCENARIO}):
            add_partner(conn, Partner(partner, partner.replace("-", " ").title()))
        create_run(
            conn,
            Run("drill-1", INCIDENT, T - timedelta(days=3), T, timedelta(days=7)),
            2.0,
            [],
        )
        conn.commit()
    settings = Settings(TANDEM_DATA_DIR=tmp_path / "data", DATABASE_URL=database_url)
    with running_gateway(settings) as url:
        yield url


def expected_figures(report: dict[str, Any]) -> dict[str, Any]:
    """Each figure of a sitrep (as JSON) under the path the board's `data-figure` names."""
    figures: dict[str, Any] = {}
    for section in ("requests", "volunteers"):
        for name, value in report[section].items():
            if isinstance(value, dict):
                figures |= {f"{section}.{name}.{key}": n for key, n in value.items()}
            else:
                figures[f"{section}.{name}"] = value
    for r in report["referrals"]:
        figures[f"referrals.{r['from']}.{r['to']}"] = r["count"]
    for s in report["stock"]:
        for name in ("level", "distributed_7d", "days_of_cover"):
            figures[f"stock.{s['hub_id']}.{s['item']}.{name}"] = s[name]
    for h in report["hubs"]:
        figures |= {f"hubs.{h['hub_id']}.{n}": h[n] for n in ("status", "parcels_per_day")}
    for p in report["partners"]:
        for name in ("events", "requests_accepted", "requests_fulfilled", "capacity_status"):
            figures[f"partners.{p['partner']}.{name}"] = p[name]
    return figures


def read_back(text: str) -> Any:
    """A figure as the board shows it, back to its value: a dash is none, digits a number."""
    if text == "—":
        return None
    digits = text.replace(",", "")
    try:
        number = float(digits)
    except ValueError:
        return text
    return int(number) if number.is_integer() and "." not in digits else number


def shown_figures(page: Any, incident: str) -> dict[str, Any]:
    cells = page.eval_on_selector_all(
        f"[data-incident='{incident}'] [data-figure]",
        "cells => cells.map(c => [c.dataset.figure, c.textContent])",
    )
    return {figure: read_back(text) for figure, text in cells}


def expected_partners() -> dict[str, tuple[str, str]]:
    """Per partner of the scenario: its events, and the time of its latest, worked out here."""
    counts = Counter(e["partner"] for e in SCENARIO)
    latest = {
        partner: max(datetime.fromisoformat(e["time"]) for e in SCENARIO if e["partner"] == partner)
        for partner in counts
    }
    return {p: (str(counts[p]), rfc3339_utc(latest[p])) for p in counts}


def shown_partners(page: Any) -> dict[str, tuple[str, str]]:
    rows = page.locator("table:has(caption:text('Partners and when')) tbody tr")
    return {
        row.locator("th").inner_text(): (
            row.locator("td.num").inner_text(),
            row.locator("time").get_attribute("datetime"),
        )
        for row in rows.all()
    }


def report_at(database_url: str, at: datetime) -> dict[str, Any]:
    with psycopg.connect(database_url) as conn:
        return sitrep(conn, INCIDENT, at).model_dump(mode="json")


def test_the_figures_are_the_sitrep_at_the_time_asked(board: str, database_url: str) -> None:
    with chromium_page() as (page, errors):
        page.goto(f"{board}/?at=2024-03-10T13:00%2B01:00")  # T, to the minute, in +01:00
        expected = expected_figures(report_at(database_url, T))
        assert expected["requests.open"] == 1 and expected["stock.hub-a.food_parcel.level"] == 55
        assert shown_figures(page, INCIDENT) == expected
        as_of = page.locator(f"[data-incident='{INCIDENT}'] .as-of")
        assert as_of.inner_text() == "As of 10 March 2024 12:00 UTC, the time asked for."
        assert as_of.locator("time").get_attribute("datetime") == rfc3339_utc(T)
        assert errors == []


def test_a_past_incident_is_shown_as_of_its_latest_event(board: str, database_url: str) -> None:
    with chromium_page() as (page, errors):
        page.goto(board)
        expected = expected_figures(report_at(database_url, LATEST))
        assert shown_figures(page, INCIDENT) == expected
        # The scenario's last event (a cancellation) is after T: the figures move with it.
        assert expected != expected_figures(report_at(database_url, T))
        as_of = page.locator(f"[data-incident='{INCIDENT}'] .as-of")
        quiet = ", the incident's latest event (no event in the last 24 hours)."
        assert as_of.inner_text().endswith(quiet)
        assert as_of.locator("time").get_attribute("datetime") == rfc3339_utc(LATEST)
        # The runs and the partners, with when each last published.
        run = page.locator("table:has(caption:text('Exercise runs')) tbody tr")
        assert run.count() == 1 and run.first.inner_text().startswith("drill-1")
        assert shown_partners(page) == expected_partners()
        assert page.locator("a[href='/docs']").count() == 1
        assert errors == []


def test_default_time_is_now_while_an_incident_is_live() -> None:
    now = datetime(2026, 12, 3, 12, tzinfo=UTC)
    live = Incident("x", now - timedelta(days=9), now - timedelta(hours=23))
    quiet = Incident("x", now - timedelta(days=9), now - timedelta(hours=25))
    assert default_at(live, now) == (now, "now")
    assert default_at(quiet, now) == (quiet.latest_event, "latest")


def test_the_board_refreshes_itself_unless_paused(board: str) -> None:
    with chromium_page() as (page, errors):
        page.clock.install()
        page.goto(board)
        loads: list[str] = []
        page.on("load", lambda p: loads.append(p.url))
        page.clock.run_for(29_000)
        assert loads == []
        with page.expect_event("load"):
            page.clock.run_for(2_000)
        assert loads == [f"{board}/"]
        page.get_by_role("button", name="Pause refresh").click()
        assert page.get_by_role("status").inner_text() == "Refresh paused."
        page.clock.run_for(120_000)
        page.wait_for_timeout(500)
        assert loads == [f"{board}/"]
        assert errors == []


def test_an_unknown_incident_or_time_is_a_clear_page(board: str) -> None:
    with httpx.Client(base_url=board) as http:
        unknown = http.get("/", params={"incident": "flood-2042"})
        assert unknown.status_code == 404
        assert f"no incident flood-2042: the incidents with events are {INCIDENT}" in unknown.text
        bad = http.get("/", params={"at": "2024-03-10T12:00"})  # no offset: which 12:00?
        assert bad.status_code == 400
        why = "at &#x27;2024-03-10T12:00&#x27;: must be an RFC 3339 time with an offset"
        assert why in bad.text
        one = http.get("/", params={"incident": INCIDENT})
        assert one.status_code == 200 and f"data-incident='{INCIDENT}'" in one.text


def test_a_board_with_no_incident_says_so(database_url: str, tmp_path: Path) -> None:
    settings = Settings(TANDEM_DATA_DIR=tmp_path / "data", DATABASE_URL=database_url)
    with running_gateway(settings) as url, httpx.Client(base_url=url) as http:
        empty = http.get("/")
        assert empty.status_code == 200
        assert "No incident has events yet" in empty.text and "data-incident" not in empty.text


def test_the_board_passes_wcag_22_aa(board: str) -> None:
    with chromium_page() as (page, errors):
        page.goto(f"{board}/?at={rfc3339_utc(T)}")
        assert axe_violations(page) == []
        assert errors == []
        answer = page.goto(f"{board}/?incident=nowhere")
        assert answer is not None and answer.status == 404
        assert axe_violations(page) == []


def figures(open_requests: int, cover: float | None, utilisation: float | None) -> Figures:
    return Figures(open_requests, 1, cover, [("hub-a", "food_parcel")], utilisation)


def unmet_in(area: str, name: str, unmet: int) -> AreaLine:
    return AreaLine(
        area=area,
        name=name,
        open=unmet,
        urgent_open=unmet,
        unmet_urgent_over_4h=unmet,
        volunteers_registered=0,
        volunteers_available=0,
        deployments_window=0,
        minutes_window=0,
        hubs=[],
        lowest_days_of_cover=None,
    )


def small_areas() -> AreasAtEnd:
    """Two areas, one drawn as a square and one as a point, a hub, and `unknown`."""
    square = '{"type": "Polygon", "coordinates": [[[0, 51], [0.1, 51], [0.1, 51.1], [0, 51]]]}'
    places = {
        "north": Boundary("north", None, 51.05, 0.05, square),
        "south": Boundary("south", None, 50.95, 0.05, None),
    }
    hub = HubPlace("hub-a", "Hub A", "open", "north", 51.05, 0.05, 1.5)
    return AreasAtEnd(
        run=[unmet_in("north", "North", 2), unmet_in("south", "South", 0)],
        original=[
            unmet_in("north", "North", 4),
            unmet_in("south", "South", 1),
            unmet_in("unknown", "Unknown area", 1),
        ],
        hubs_run=[hub],
        hubs_original=[hub],
        loaded=LoadedAreas(
            1,
            "illustrative boundaries",
            datetime(2020, 3, 1, tzinfo=UTC),
            places,
            {"north": "North", "south": "South"},
        ),
    )


def small_debrief() -> Debrief:
    start = datetime(2020, 3, 16, tzinfo=UTC)
    times = [start + timedelta(hours=6 * n) for n in range(5)]
    return Debrief(
        run=Run("ex1", "covid-2020", start, times[-1], timedelta(days=0)),
        clock=[Segment("start", start, "running", start, 60.0)],
        reached=times[-1],
        events_sent=120,
        participant_events=3,
        injects=[
            InjectOutcome(
                "council-overwhelmed",
                times[1],
                "Council helpline overwhelmed",
                "rbk-council",
                "Refer food requests",
                "fired",
                times[1],
                True,
                [],
                0,
            )
        ],
        comparisons=[
            Comparison(at, figures(10 + n, 4.5 - n, 20.0 + n), figures(12 + n, None, 25.0))
            for n, at in enumerate(times)
        ],
        areas=small_areas(),
        referrals_run=[ReferralAnswers("kingston-foodbank", 4, 75.0, 1.5)],
        referrals_original=[ReferralAnswers("kingston-foodbank", 5, 60.0, None)],
        lessons=[(times[-1], "Food referrals took too long")],
        made_at=times[-1],
    )


def test_the_debrief_passes_wcag_22_aa_and_says_its_charts_in_words(tmp_path: Path) -> None:
    report = tmp_path / "debrief.html"
    report.write_text(render(small_debrief()))
    with chromium_page() as (page, errors):
        page.goto(report.as_uri())
        assert axe_violations(page) == []
        backlog = page.get_by_role("img", name="Open-request backlog", exact=False)
        assert backlog.count() == 1
        name = backlog.get_attribute("aria-label") or ""
        assert "this run from 10 to 14 (lowest 10, highest 14)" in name
        assert "the original from 12 to 16" in name
        cover = page.locator("#chart-cover table tbody tr")
        assert cover.count() == 5
        assert cover.nth(4).locator("td").all_text_contents()[1:] == ["0.5", "—"]
        # Unmet urgent requests by area at the end: the table, and one map per side.
        areas = page.locator("table:has(th:text('difference')) tbody tr")
        assert [row.locator("td").all_text_contents() for row in areas.all()] == [
            ["North (north)", "2", "4", "-2"],
            ["South (south)", "0", "1", "-1"],
            ["Unknown area (unknown)", "0", "1", "-1"],
        ]
        assert page.locator("svg.area-map").count() == 2
        assert page.locator("svg.area-map .area").count() == 4
        assert "illustrative boundaries" in page.content()
        assert errors == []


def test_axe_finds_a_chart_with_no_text_alternative() -> None:
    """The check itself can fail: the debrief's charts as they were, with no name."""
    with chromium_page() as (page, _):
        page.set_content(
            "<!doctype html><html lang='en'><head><title>t</title></head><body><main>"
            "<svg role='img' width='10' height='10'><line x1='0' y1='0' x2='9' y2='9'"
            " stroke='#000'/></svg></main></body></html>"
        )
        assert [v["rule"] for v in axe_violations(page)] == ["svg-img-alt"]
