"""What the exercise debrief reports, gathered from the figures of the run and of the original.

Every number comes from the figures tables through the sitrep (or, for referral answers, the
partnership dashboard's own query), for the run at run time S + shift and for the original
incident ('live') at scenario time S — the same scenario moments side by side. The areas at the
end are the sitreps' own `areas` at the last of those moments, with the hubs' places there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import psycopg

from services.exercises import runs
from services.exercises.clock import Segment
from services.figures.area_map import HubPlace
from services.figures.areas import AreaLine
from services.figures.referrals import ReferralAnswers, referral_answers
from services.figures.sitrep import Sitrep, sitrep
from services.maps.places import LoadedAreas, hubs_at, loaded_areas

LIVE = "live"
SAMPLES = 24
ACTIONS_SHOWN = 10


@dataclass(frozen=True)
class Action:
    type: str
    event_id: str
    exercise_time: datetime
    minutes_after: float


@dataclass(frozen=True)
class InjectOutcome:
    inject_id: str
    scenario_time: datetime
    synopsis: str
    target: str | None
    expected_action: str | None
    status: str
    fired_at: datetime | None
    ad_hoc: bool
    actions: list[Action]
    actions_total: int


@dataclass(frozen=True)
class Figures:
    """The debrief's figures of one side (the run, or the original) at one scenario time."""

    open_requests: int
    urgent_open: int
    lowest_days_of_cover: float | None
    stock_outs: list[tuple[str, str]]
    utilisation_percent: float | None

    @classmethod
    def of(cls, report: Sitrep) -> Figures:
        volunteers = report.volunteers
        covers = [line.days_of_cover for line in report.stock if line.days_of_cover is not None]
        return cls(
            open_requests=report.requests.open,
            urgent_open=report.requests.open_by_priority.get("urgent", 0),
            lowest_days_of_cover=float(min(covers)) if covers else None,
            stock_outs=[(line.hub_id, line.item) for line in report.stock if line.level <= 0],
            utilisation_percent=(
                round(
                    100
                    * (volunteers.registered - volunteers.never_deployed)
                    / volunteers.registered,
                    1,
                )
                if volunteers.registered
                else None
            ),
        )


@dataclass(frozen=True)
class Comparison:
    scenario_time: datetime
    run: Figures
    original: Figures


@dataclass(frozen=True)
class AreasAtEnd:
    """The figures by area of both sides at the end, and what a map of them needs."""

    run: list[AreaLine]
    original: list[AreaLine]
    hubs_run: list[HubPlace]
    hubs_original: list[HubPlace]
    loaded: LoadedAreas | None


@dataclass(frozen=True)
class Debrief:
    run: runs.Run
    clock: list[Segment]
    reached: datetime
    events_sent: int
    participant_events: int
    injects: list[InjectOutcome]
    comparisons: list[Comparison]
    areas: AreasAtEnd
    referrals_run: list[ReferralAnswers]
    referrals_original: list[ReferralAnswers]
    lessons: list[tuple[datetime, str]]
    made_at: datetime


def sample_times(start: datetime, end: datetime, count: int = SAMPLES) -> list[datetime]:
    """`count` scenario moments from start to end, both included."""
    if end <= start:
        return [start]
    step = (end - start) / (count - 1)
    return [start + step * n for n in range(count - 1)] + [end]  # the end exactly, unrounded


def gather(conn: psycopg.Connection[Any], run_id: str) -> Debrief:
    run = runs.load_run(conn, run_id)
    status = runs.statuses(conn, run_id)[0]
    # Where the run's clock stands (its end, once finished): the span the header, the samples
    # and the clock table all share.
    reached = min(status.clock, run.scenario_to)
    reports = [
        (
            at,
            sitrep(conn, run.incident, run.run_time(at), run_id),
            sitrep(conn, run.incident, at, LIVE),
        )
        for at in sample_times(run.scenario_from, reached)
    ]
    comparisons = [
        Comparison(at, Figures.of(mine), Figures.of(theirs)) for at, mine, theirs in reports
    ]
    end, mine, theirs = reports[-1]
    areas = AreasAtEnd(
        run=mine.areas,
        original=theirs.areas,
        hubs_run=hubs_at(conn, run.incident, run.run_time(end), run_id),
        hubs_original=hubs_at(conn, run.incident, end, LIVE),
        loaded=loaded_areas(conn),
    )
    row = conn.execute(
        "SELECT count(*) FROM exercise_event_times WHERE run = %s AND origin = 'participant'",
        (run_id,),
    ).fetchone()
    lessons = conn.execute(
        "SELECT added_at, text FROM exercise_lessons WHERE run = %s ORDER BY seq", (run_id,)
    ).fetchall()
    debrief = Debrief(
        run=run,
        clock=runs.load_clock(conn, run_id),
        reached=reached,
        events_sent=status.events_sent,
        participant_events=int(row[0]) if row else 0,
        injects=inject_outcomes(conn, run_id),
        comparisons=comparisons,
        areas=areas,
        referrals_run=referral_answers(
            conn, run_id, run.incident, run.run_time(run.scenario_from), run.run_time(reached)
        ),
        referrals_original=referral_answers(conn, LIVE, run.incident, run.scenario_from, reached),
        lessons=[(added_at, text) for added_at, text in lessons],
        made_at=_now(conn),
    )
    conn.commit()
    return debrief


def inject_outcomes(conn: psycopg.Connection[Any], run_id: str) -> list[InjectOutcome]:
    """Each inject, and what its target partner published into the run after it fired."""
    injects = conn.execute(
        "SELECT inject_id, scenario_time, synopsis, target_partner, expected_action, status,"
        " fired_at, ad_hoc FROM exercise_injects WHERE run = %s"
        " ORDER BY scenario_time, inject_id",
        (run_id,),
    ).fetchall()
    outcomes = []
    for inject_id, at, synopsis, target, expected, status, fired_at, ad_hoc in injects:
        moves = []
        if fired_at is not None and target is not None:
            moves = conn.execute(
                "SELECT type, id, exercise_time FROM exercise_event_times"
                " WHERE run = %s AND partner = %s AND origin = 'participant'"
                " AND exercise_time >= %s ORDER BY exercise_time, id",
                (run_id, target, fired_at),
            ).fetchall()
        actions = [
            Action(type_, event_id, when, round((when - fired_at) / timedelta(minutes=1), 1))
            for type_, event_id, when in moves
        ]
        outcomes.append(
            InjectOutcome(
                inject_id,
                at,
                synopsis,
                target,
                expected,
                status,
                fired_at,
                ad_hoc,
                actions[:ACTIONS_SHOWN],
                len(actions),
            )
        )
    return outcomes


def _now(conn: psycopg.Connection[Any]) -> datetime:
    row = conn.execute("SELECT now()").fetchone()
    assert row is not None
    return row[0]  # type: ignore[no-any-return]
