"""What a run replays of an incident still receiving events: what was archived when the run was
created, said as the run starts; and a debrief whose span is its clock's."""

from __future__ import annotations

from datetime import datetime, timedelta

import psycopg

from services.exercises import runs
from services.exercises.archive_pages import ArchivePages
from services.exercises.debrief import gather
from services.replay.session import ReplayPlan, create, scope
from tests.support.exercise_fixtures import INCIDENT, archive, compressed, scenario_order

EVENTS = compressed(60, timedelta(hours=6))


def test_events_archived_after_the_run_was_created_are_not_replayed_and_that_is_said(
    database_url: str,
) -> None:
    late = EVENTS[1::3]
    early = [e for e in EVENTS if e not in late]
    archive(database_url, early, live=False)
    with psycopg.connect(database_url) as conn:
        run = create(conn, ReplayPlan(incident=INCIDENT, run="drill", speed=None))
        said = scope(conn, run)
    # Still arriving as the run starts, some inside its span (the stream is not in time order).
    late_inside = [e for e in late if datetime.fromisoformat(e["time"]) <= run.scenario_to]
    assert late_inside, "the fixture must archive late events inside the run's span"
    archive(database_url, late, live=False)

    assert said.events == len(early)
    assert said.still_receiving()
    text = said.describe()
    assert f"{len(early):,} archived events" in text
    assert "still receiving events" in text and "only those archived until now" in text

    pages = ArchivePages(database_url, run)
    try:
        start = (run.scenario_from - timedelta(seconds=1), "", "")
        replayed = [(source, id_) for _, source, id_, *_ in pages.page(start)]
    finally:
        pages.close()
    assert replayed == [(e["source"], e["id"]) for e in scenario_order(early)]


def test_the_debrief_spans_the_scenario_its_clock_went_through(database_url: str) -> None:
    archive(database_url, EVENTS)
    with psycopg.connect(database_url) as conn:
        run = create(conn, ReplayPlan(incident=INCIDENT, run="drill", speed=None))
        # Stopped by the facilitator an hour into the scenario: the debrief ends there.
        stop_at = run.scenario_from + timedelta(hours=1)
        runs.finish(conn, "drill", stop_at)
        conn.commit()
        report = gather(conn, "drill")
    assert report.clock[-1].scenario_time == stop_at
    assert report.reached == stop_at
    assert report.comparisons[-1].scenario_time == stop_at
