"""One exercise run from start to end: `tandem replay --incident … --run …`.

Creates the run, starts the run's own aggregator (a worker of the aggregator counting the
run's topic), plays the incident, and returns once the run's figures hold every event sent.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import psycopg

from infra.supervisor import ServiceSpec, Supervisor
from services.exercises import runs
from services.exercises.clock import shift_to_day, utc_now
from services.exercises.injects import load_injects
from services.replay.player import Player, Progress
from services.settings import Settings
from services.store.connections import connect

COUNTED_SECONDS = 600.0
STILL_RECEIVING_SECONDS = 60.0
"""An incident whose latest event was archived this recently is taken to be still running."""


@dataclass(frozen=True)
class ReplayPlan:
    incident: str
    run: str
    speed: float | None  # None: as fast as possible
    scenario_from: datetime | None = None
    scenario_to: datetime | None = None
    injects: Path | None = None
    shift_to_now: bool = False
    facilitators: tuple[str, ...] = ()  # partners who may steer the run over HTTP


@dataclass(frozen=True)
class Scope:
    """What a run replays, as it is created: the archived events of its span, and whether the
    incident is still receiving events (which the run will not replay)."""

    run: runs.Run
    events: int
    latest_archived_seconds_ago: float

    def still_receiving(self) -> bool:
        return self.latest_archived_seconds_ago < STILL_RECEIVING_SECONDS

    def describe(self) -> str:
        run = self.run
        said = (
            f"Replaying incident {run.incident} into run {run.run}: scenario"
            f" {run.scenario_from:%Y-%m-%d %H:%M} to {run.scenario_to:%Y-%m-%d %H:%M} UTC,"
            f" {self.events:,} archived events."
        )
        if self.still_receiving():
            said += (
                f" The incident is still receiving events (the latest archived"
                f" {self.latest_archived_seconds_ago:.0f} s ago): this run replays only those"
                " archived until now; replay again once it has ended for the whole incident."
            )
        return said


def scope(conn: psycopg.Connection[tuple[object, ...]], run: runs.Run) -> Scope:
    row = conn.execute(
        "SELECT count(*) FILTER (WHERE a.time BETWEEN r.scenario_from AND r.scenario_to"
        "                        AND a.archived_at <= r.created_at),"
        " extract(epoch FROM clock_timestamp() - max(a.archived_at))"
        " FROM exercise_runs r JOIN archive a ON a.incident = r.incident WHERE r.run = %s",
        (run.run,),
    ).fetchone()
    assert row is not None
    return Scope(run, int(str(row[0])), float(str(row[1])))


def create(conn: psycopg.Connection[tuple[object, ...]], plan: ReplayPlan) -> runs.Run:
    """Record the run: its bounds (the archived incident's, unless given), shift, injects and
    facilitators."""
    row = conn.execute(
        "SELECT min(time), max(time) FROM archive WHERE incident = %s", (plan.incident,)
    ).fetchone()
    if row is None or row[0] is None:
        raise runs.RunError(f"no archived events of incident {plan.incident}")
    first, last = plan.scenario_from or row[0], plan.scenario_to or row[1]
    assert isinstance(first, datetime) and isinstance(last, datetime)
    if first > last:
        raise runs.RunError("--from is after --to")
    # Participants publish into a run by naming it as their incident: a name a real incident
    # already has would take that incident's events out of the live figures.
    if conn.execute("SELECT 1 FROM archive WHERE incident = %s LIMIT 1", (plan.run,)).fetchone():
        raise runs.RunError(f"{plan.run} is the id of an incident; choose another run id")
    shift = shift_to_day(first, utc_now()) if plan.shift_to_now else first - first
    run = runs.Run(plan.run, plan.incident, first, last, shift)
    injects = load_injects(plan.injects, plan.incident) if plan.injects else ()
    runs.create_run(conn, run, plan.speed, injects)
    for partner in plan.facilitators:
        runs.add_facilitator(conn, plan.run, partner)
    conn.commit()
    return run


def replay(
    settings: Settings,
    plan: ReplayPlan,
    on_progress: Callable[[Progress], None],
    on_scope: Callable[[Scope], None],
) -> Progress:
    with connect(settings) as conn:
        on_scope(scope(conn, create(conn, plan)))
    env = {**settings.child_env(), "TANDEM_EXERCISE_RUN": plan.run}
    supervisor = Supervisor(settings.data_dir / "logs", env)
    supervisor.start(ServiceSpec(f"aggregator-{plan.run}", "services.aggregator"))
    threading.Thread(target=supervisor.watch, daemon=True).start()
    try:
        progress = Player(settings, plan.run, on_progress).play()
        wait_until_counted(settings, plan.run)
        return progress
    finally:
        supervisor.stop()


def wait_until_counted(settings: Settings, run: str, timeout: float = COUNTED_SECONDS) -> None:
    """Block until the run's figures count every event sent into it."""
    with connect(settings, autocommit=True) as conn:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            row = conn.execute(
                "SELECT (SELECT count(*) FROM counted_events WHERE run = %(run)s)"
                " >= (SELECT count(*) FROM exercise_event_times WHERE run = %(run)s)",
                {"run": run},
            ).fetchone()
            if row and row[0]:
                return
            time.sleep(0.2)  # polled: the figures are written by another process
    raise TimeoutError(f"run {run}: figures not complete after {timeout:.0f} s")
