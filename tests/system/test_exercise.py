"""An exercise end to end, as a facilitator and the players run it: `tandem replay` with its
own aggregator, controls over HTTP, an ad-hoc inject, a participant publishing through the
gateway into the run, lessons, and the debrief opened in headless Chromium."""

from __future__ import annotations

import os
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from services.exercises.debrief import Figures, gather
from services.figures.sitrep import sitrep
from services.settings import Settings
from services.store.partners import Partner, add_partner
from tests.support.browser import axe_violations, chromium_page
from tests.support.exercise_fixtures import INCIDENT, archive, compressed
from tests.support.servers import TANDEM, run_tandem, running_gateway, service_process, wait_for

pytestmark = pytest.mark.timeout(240)

EVENTS = compressed(300, timedelta(minutes=8))
START = min(datetime.fromisoformat(e["time"]) for e in EVENTS)
END = max(datetime.fromisoformat(e["time"]) for e in EVENTS)
RUN = "ex1"

OVERWHELMED = {
    "id": "council-overwhelmed",
    "at": "2000-01-01T00:00:00Z",  # an ad-hoc inject fires now, whatever it says
    "synopsis": "Council helpline overwhelmed",
    "target": "rbk-council",
    "expected_action": "Refer food requests to the mutual aid groups",
    "events": [
        {
            "type": "resilience.partner.capacity.v1",
            "partner": "rbk-council",
            "subject": "rbk-council",
            "data": {"need": "food", "capacity_per_day": 0, "status": "overwhelmed"},
        }
    ],
}


def figures_of(database_url: str, run: str, at: datetime) -> dict[str, Any]:
    with psycopg.connect(database_url) as conn:
        return sitrep(conn, INCIDENT, at, run).model_dump(mode="json", exclude={"at"})


def events_sent(http: httpx.Client) -> int:
    response = http.get(f"/v1/runs/{RUN}")
    if response.status_code == 404:
        return 0  # not made yet
    response.raise_for_status()
    return int(response.json()["events_sent"])


def test_an_exercise_from_replay_to_debrief(settings: Settings, tmp_path: Path) -> None:
    url = str(settings.database_url)
    archive(url, EVENTS)
    with psycopg.connect(url) as conn:
        token = add_partner(conn, Partner("rbk-council", "Royal Borough of Kingston"))
        excon = add_partner(conn, Partner("rbk-emergency-planning", "Kingston emergency planning"))
    live_before = figures_of(url, "live", END)
    env = {**os.environ, **settings.child_env()}
    with (
        running_gateway(settings) as gateway,
        service_process("services.relay", settings, tmp_path / "relay.log"),
        httpx.Client(base_url=gateway, headers={"Authorization": f"Bearer {token}"}) as http,
        httpx.Client(base_url=gateway, headers={"Authorization": f"Bearer {excon}"}) as control,
        (tmp_path / "replay.log").open("w") as replay_log,
    ):
        player = subprocess.Popen(
            [
                TANDEM,
                "replay",
                "--incident",
                INCIDENT,
                "--run",
                RUN,
                "--speed",
                "10",
                "--facilitator",
                "rbk-emergency-planning",
            ],
            env=env,
            stdout=replay_log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_for(lambda: events_sent(http) > 20, 60, "the replay under way")
            # The council plays; the emergency planners run the exercise.
            assert http.post(f"/v1/runs/{RUN}/pause").status_code == 403
            paused = control.post(f"/v1/runs/{RUN}/pause")
            assert paused.status_code == 200 and paused.json()["state"] == "paused"
            inject = control.post(f"/v1/runs/{RUN}/injects", json=OVERWHELMED)
            assert inject.status_code == 202, inject.text
            fired_scenario = datetime.fromisoformat(paused.json()["scenario_time"])
            # The council answers in the run: it takes on a request, at exercise time now.
            move = {
                "specversion": "1.0",
                "id": "ex1-move-1",
                "source": "/orgs/rbk-council/casework",
                "type": "resilience.request.accepted.v1",
                "time": datetime.now(UTC).isoformat(),
                "subject": "rbk-council-r00001",
                "partner": "rbk-council",
                "incident": RUN,
                "data": {"request_id": "rbk-council-r00001"},
            }
            assert http.post("/v1/events", json=move).status_code == 202
            assert control.post(f"/v1/runs/{RUN}/resume").json()["state"] == "running"
            assert control.post(f"/v1/runs/{RUN}/speed", json={"speed": None}).status_code == 200
            assert player.wait(120) == 0, (tmp_path / "replay.log").read_text()
            wait_for(lambda: participant_counted(url), 30, "the council's move counted")
        finally:
            if player.poll() is None:
                player.kill()
    assert "finished" in (tmp_path / "replay.log").read_text()

    # Live figures never see the run.
    assert figures_of(url, "live", END) == live_before

    # The run's figures: the original's, plus the inject and the council's move.
    with psycopg.connect(url) as conn:
        (scenario,) = conn.execute(
            "SELECT scenario_time FROM exercise_event_times WHERE run = %s AND id = 'ex1-move-1'",
            (RUN,),
        ).fetchone() or (None,)
    assert scenario is not None and fired_scenario <= scenario <= END
    capacity = max(
        [(fired_scenario, "overwhelmed")]
        + [
            (datetime.fromisoformat(e["time"]), e["data"]["status"])
            for e in EVENTS
            if e["partner"] == "rbk-council" and e["type"] == "resilience.partner.capacity.v1"
        ]
    )[1]
    expected = dict(live_before)
    expected["partners"] = [
        {
            **line,
            "events": line["events"] + 2,
            "requests_accepted": line["requests_accepted"] + 1,
            "capacity_status": capacity,
        }
        if line["partner"] == "rbk-council"
        else line
        for line in live_before["partners"]
    ]
    assert figures_of(url, RUN, END) == expected

    # Lessons and the debrief.
    env_settings = settings.child_env()
    lesson = run_tandem(env_settings, "lesson", "add", "--run", RUN, "Food referrals took too long")
    assert lesson.returncode == 0, lesson.stderr
    report = tmp_path / "debrief.html"
    made = run_tandem(env_settings, "debrief", "--run", RUN, "--out", str(report))
    assert made.returncode == 0, made.stderr
    html = report.read_text()
    assert "Food referrals took too long" in html
    assert "council-overwhelmed" in html and "request.accepted.v1 rbk-council" not in html
    assert "accepted.v1 ex1-move-1" in html

    with psycopg.connect(url) as conn:
        debrief = gather(conn, RUN)
        for comparison in debrief.comparisons:
            at = comparison.scenario_time
            assert comparison.run == Figures.of(sitrep(conn, INCIDENT, at, RUN))
            assert comparison.original == Figures.of(sitrep(conn, INCIDENT, at, "live"))
    assert debrief.comparisons[-1].original.open_requests == live_before["requests"]["open"]
    outcome = next(i for i in debrief.injects if i.inject_id == "council-overwhelmed")
    assert [a.event_id for a in outcome.actions] == ["ex1-move-1"]

    opened_in_chromium(report)


def participant_counted(database_url: str) -> bool:
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            "SELECT count(*) FROM counted_events WHERE run = %s AND id = 'ex1-move-1'", (RUN,)
        ).fetchone()
        return bool(row and row[0])


def opened_in_chromium(report: Path) -> None:
    with chromium_page() as (page, errors):
        page.goto(report.as_uri())
        for chart in ("backlog", "cover", "utilisation"):
            svg = page.locator(f"#chart-{chart} svg")
            box = svg.bounding_box()
            assert box and box["width"] > 100 and box["height"] > 100, chart
            lines = svg.locator("polyline")
            assert lines.count() == 2
            assert all(
                len((lines.nth(n).get_attribute("points") or "").split()) > 1 for n in range(2)
            ), f"{chart}: a line with no points"
        assert axe_violations(page) == []
        assert errors == []
