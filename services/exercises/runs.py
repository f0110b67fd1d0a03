"""Exercise runs in PostgreSQL: creation, the clock, facilitator controls, injects, lessons.

Controls append a clock segment and NOTIFY the player, which acts on it at once (the player
also re-reads the clock every second, so a missed notification costs at most that). The same
functions serve the CLI and the gateway.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, cast

import orjson
import psycopg
from psycopg.rows import class_row, dict_row

from services.authority.person_refs import door_key
from services.exercises.clock import ACTIVE, Control, Segment, State
from services.exercises.injects import Effect, Inject, at_the_door

Conn = psycopg.Connection[Any]
CHANNEL = "tandem_exercise"
FacilitatorControl = Literal["pause", "resume", "stop", "speed", "jump"]
InjectAction = Literal["hold", "release", "skip"]


class RunError(ValueError):
    """A control that cannot apply to the run as it stands; the message says why."""


class UnknownRun(RunError):
    def __init__(self, run: str) -> None:
        super().__init__(f"no exercise run {run}")


class NotFacilitator(RunError):
    """A partner that is not one of the run's facilitators tried to steer it."""


@dataclass(frozen=True)
class Run:
    run: str
    incident: str
    scenario_from: datetime
    scenario_to: datetime
    shift: timedelta

    def run_time(self, scenario_time: datetime) -> datetime:
        """The time a scenario moment carries in the run's figures."""
        return scenario_time + self.shift


@dataclass(frozen=True)
class RunStatus:
    run: str
    incident: str
    state: State
    speed: float | None
    clock: datetime
    reached: datetime | None
    events_sent: int
    scenario_from: datetime
    scenario_to: datetime
    shift_days: int
    injects: dict[str, int]
    facilitators: list[str]

    def as_json(self) -> dict[str, Any]:
        return cast(dict[str, Any], orjson.loads(orjson.dumps(self)))


def create_run(conn: Conn, run: Run, speed: float | None, injects: Sequence[Inject]) -> None:
    """Record a new run, its first clock segment and its injects. The caller commits."""
    inserted = conn.execute(
        "INSERT INTO exercise_runs (run, incident, scenario_from, scenario_to, shift)"
        " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (run) DO NOTHING",
        (run.run, run.incident, run.scenario_from, run.scenario_to, run.shift),
    )
    if inserted.rowcount == 0:
        raise RunError(f"run {run.run} exists already; choose another run id")
    _append(conn, run.run, "start", "running", run.scenario_from, speed)
    for inject in injects:
        add_inject(conn, run.run, inject, ad_hoc=False)


def load_run(conn: Conn, run: str) -> Run:
    with conn.cursor(row_factory=class_row(Run)) as cur:
        found = cur.execute(
            "SELECT run, incident, scenario_from, scenario_to, shift FROM exercise_runs"
            " WHERE run = %s",
            (run,),
        ).fetchone()
    if found is None:
        raise UnknownRun(run)
    return found


def add_facilitator(conn: Conn, run: str, partner: str) -> None:
    """Let a registered partner steer the run over HTTP. The caller commits."""
    load_run(conn, run)
    if conn.execute("SELECT 1 FROM partners WHERE id = %s", (partner,)).fetchone() is None:
        raise RunError(f"no partner {partner}: add it first with `tandem partner add`")
    conn.execute(
        "INSERT INTO exercise_facilitators (run, partner) VALUES (%s, %s) ON CONFLICT DO NOTHING",
        (run, partner),
    )


def check_facilitator(conn: Conn, run: str, partner: str) -> None:
    """Refuse a partner that may not steer the run (an unknown run is refused first)."""
    load_run(conn, run)
    named = conn.execute(
        "SELECT 1 FROM exercise_facilitators WHERE run = %s AND partner = %s", (run, partner)
    ).fetchone()
    if named is None:
        raise NotFacilitator(
            f"partner {partner} is not a facilitator of run {run}: players publish into a run,"
            f" its facilitators steer it (`tandem replay facilitator {run} {partner}`)"
        )


def load_clock(conn: Conn, run: str) -> list[Segment]:
    with conn.cursor(row_factory=class_row(Segment)) as cur:
        return cur.execute(
            "SELECT control, at, state, scenario_time, speed FROM exercise_clock WHERE run = %s"
            " ORDER BY seq",
            (run,),
        ).fetchall()


def control(
    conn: Conn,
    run: str,
    action: FacilitatorControl,
    speed: float | None = None,
    to: datetime | None = None,
) -> Segment:
    """Apply a facilitator control now; return the clock segment it started. Commits."""
    with conn.transaction():
        conn.execute("SELECT 1 FROM exercise_runs WHERE run = %s FOR UPDATE", (run,))
        current = load_clock(conn, run)
        if not current:
            raise UnknownRun(run)
        latest = current[-1]
        if latest.state not in ACTIVE:
            raise RunError(f"run {run} is {latest.state}")
        scenario = _scenario_now(conn, run, latest)
        if action == "pause":
            return _append(conn, run, action, "paused", scenario, latest.speed)
        if action == "resume":
            return _append(conn, run, action, "running", scenario, latest.speed)
        if action == "stop":
            return _append(conn, run, action, "stopped", scenario, latest.speed)
        if action == "speed":
            return _append(conn, run, action, latest.state, scenario, speed)
        if to is None:
            raise RunError("jump needs a scenario time")
        return _append(conn, run, action, latest.state, to, latest.speed)


def start_playing(conn: Conn, run: str) -> None:
    """The player is ready to send: the clock starts again now, unless a control has already
    moved it — so the first events are not late by however long the player took to start."""
    with conn.transaction():
        conn.execute("SELECT 1 FROM exercise_runs WHERE run = %s FOR UPDATE", (run,))
        clock = load_clock(conn, run)
        if [segment.control for segment in clock] == ["start"]:
            _append(conn, run, "start", "running", clock[0].scenario_time, clock[0].speed)


def finish(conn: Conn, run: str, scenario_time: datetime) -> None:
    """The player sent the last event: the run is over. The caller commits."""
    latest = load_clock(conn, run)[-1]
    if latest.state in ACTIVE:
        _append(conn, run, "finish", "finished", scenario_time, latest.speed)


def _scenario_now(conn: Conn, run: str, latest: Segment) -> datetime:
    row = conn.execute(
        "SELECT clock_timestamp(), reached FROM exercise_runs WHERE run = %s", (run,)
    ).fetchone()
    assert row is not None
    return standing(latest, row[0], row[1])


def standing(latest: Segment, now: datetime, reached: datetime | None) -> datetime:
    """Where the run stands: the clock's scenario time, or how far the player has got when it
    runs flat out (no schedule)."""
    if latest.speed is None and latest.state == "running" and reached is not None:
        return reached
    return latest.scenario_at(now)


def _append(
    conn: Conn,
    run: str,
    control: Control,
    state: State,
    scenario_time: datetime,
    speed: float | None,
) -> Segment:
    row = conn.execute(
        "INSERT INTO exercise_clock (run, control, state, scenario_time, speed)"
        " VALUES (%s, %s, %s, %s, %s) RETURNING at",
        (run, control, state, scenario_time, speed),
    ).fetchone()
    assert row is not None
    conn.execute("SELECT pg_notify(%s, %s)", (CHANNEL, run))
    return Segment(control, cast(datetime, row[0]), state, scenario_time, speed)


def add_inject(conn: Conn, run: str, inject: Inject, *, ad_hoc: bool) -> None:
    """An ad-hoc inject is put to the players as it is made: that is its `fired_at`. A
    person_ref it writes is kept, and sent, only as its door pseudonym."""
    inject = at_the_door(inject, door_key(conn))
    conn.execute(
        "INSERT INTO exercise_injects (run, inject_id, scenario_time, synopsis, target_partner,"
        " expected_action, effect, ad_hoc, fired_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s,"
        " CASE WHEN %s THEN clock_timestamp() END)",
        (
            run,
            inject.id,
            inject.at,
            inject.synopsis,
            inject.target,
            inject.expected_action,
            inject.effect.model_dump_json(),
            ad_hoc,
            ad_hoc,
        ),
    )


def fire_ad_hoc(conn: Conn, run: str, inject: Inject) -> None:
    """An inject the facilitator fires now: due at the run's current scenario time. Commits."""
    with conn.transaction():
        latest = load_clock(conn, run)[-1]
        if latest.state not in ACTIVE:
            raise RunError(f"run {run} is {latest.state}")
        now = _scenario_now(conn, run, latest)
        try:
            add_inject(conn, run, inject.model_copy(update={"at": now}), ad_hoc=True)
        except psycopg.errors.UniqueViolation as exc:
            raise RunError(f"run {run} has an inject {inject.id} already") from exc
        conn.execute("SELECT pg_notify(%s, %s)", (CHANNEL, run))


# hold: a scheduled inject waits; release: a held one fires (at once if its time has passed);
# skip: a scheduled or held one never fires.
INJECT_TRANSITIONS: dict[InjectAction, tuple[tuple[str, ...], str]] = {
    "hold": (("scheduled",), "held"),
    "release": (("held",), "scheduled"),
    "skip": (("scheduled", "held"), "skipped"),
}


def change_inject(conn: Conn, run: str, inject_id: str, action: InjectAction) -> None:
    allowed, status = INJECT_TRANSITIONS[action]
    with conn.transaction():
        changed = conn.execute(
            "UPDATE exercise_injects SET status = %s"
            " WHERE run = %s AND inject_id = %s AND status = ANY(%s)",
            (status, run, inject_id, list(allowed)),
        )
        if changed.rowcount == 0:
            raise RunError(f"run {run} has no {' or '.join(allowed)} inject {inject_id}")
        conn.execute("SELECT pg_notify(%s, %s)", (CHANNEL, run))


@dataclass(frozen=True)
class DueInject:
    inject_id: str
    scenario_time: datetime
    effect: Effect


def due_injects(conn: Conn, run: str) -> list[DueInject]:
    """Injects waiting to fire, in scenario order."""
    rows = conn.execute(
        "SELECT inject_id, scenario_time, effect FROM exercise_injects"
        " WHERE run = %s AND status = 'scheduled' ORDER BY scenario_time, inject_id",
        (run,),
    ).fetchall()
    return [DueInject(row[0], row[1], Effect.model_validate(row[2])) for row in rows]


def fired_effects(conn: Conn, run: str) -> list[tuple[datetime, Effect]]:
    rows = conn.execute(
        "SELECT scenario_time, effect FROM exercise_injects WHERE run = %s AND status = 'fired'",
        (run,),
    ).fetchall()
    return [(row[0], Effect.model_validate(row[1])) for row in rows]


def mark_fired(conn: Conn, run: str, inject_id: str) -> bool:
    """Fire an inject unless the facilitator held or skipped it meanwhile. The caller commits."""
    fired = conn.execute(
        "UPDATE exercise_injects SET status = 'fired',"
        " fired_at = coalesce(fired_at, clock_timestamp())"
        " WHERE run = %s AND inject_id = %s AND status = 'scheduled'",
        (run, inject_id),
    )
    return fired.rowcount == 1


def add_lesson(conn: Conn, run: str, text: str) -> None:
    load_run(conn, run)
    conn.execute("INSERT INTO exercise_lessons (run, text) VALUES (%s, %s)", (run, text))
    conn.commit()


def standing_run_time(conn: Conn, run: str) -> datetime:
    """Where a run's clock stands, in run time: the default T of its sitrep."""
    status = statuses(conn, run)[0]
    return status.clock + timedelta(days=status.shift_days)


def statuses(conn: Conn, run: str | None = None) -> list[RunStatus]:
    """Each run (or the one named) as it stands now."""
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(
            """
            SELECT r.run, r.incident, r.reached, r.events_sent, r.scenario_from, r.scenario_to,
                   extract(day FROM r.shift)::int AS shift_days, clock_timestamp() AS now,
                   c.control, c.at, c.state, c.scenario_time, c.speed,
                   (SELECT coalesce(jsonb_object_agg(status, n), '{}') FROM (
                        SELECT status, count(*) AS n FROM exercise_injects i
                        WHERE i.run = r.run GROUP BY status) s) AS injects,
                   ARRAY(SELECT partner FROM exercise_facilitators f
                         WHERE f.run = r.run ORDER BY partner) AS facilitators
            FROM exercise_runs r
            CROSS JOIN LATERAL (SELECT * FROM exercise_clock c WHERE c.run = r.run
                                ORDER BY seq DESC LIMIT 1) c
            WHERE %(run)s::text IS NULL OR r.run = %(run)s
            ORDER BY r.created_at, r.run
            """,
            {"run": run},
        ).fetchall()
    found = []
    for row in rows:
        latest = Segment(
            row["control"], row["at"], row["state"], row["scenario_time"], row["speed"]
        )
        clock = standing(latest, row["now"], row["reached"])
        found.append(
            RunStatus(
                run=row["run"],
                incident=row["incident"],
                state=latest.state,
                speed=latest.speed,
                clock=min(clock, row["scenario_to"]) if latest.state in ACTIVE else clock,
                reached=row["reached"],
                events_sent=row["events_sent"],
                scenario_from=row["scenario_from"],
                scenario_to=row["scenario_to"],
                shift_days=row["shift_days"],
                injects=row["injects"],
                facilitators=row["facilitators"],
            )
        )
    if run is not None and not found:
        raise UnknownRun(run)
    return found
