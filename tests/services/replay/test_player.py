"""The player against the real broker and PostgreSQL: order, timing, controls, injects."""

from __future__ import annotations

import statistics
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

import orjson
import psycopg
import pytest

from services.exercises import runs
from services.replay.player import Player, Progress
from services.replay.session import ReplayPlan, create
from services.settings import Settings
from services.streaming.topics import exercise_topic
from tests.support.exercise_fixtures import INCIDENT, archive, compressed, scenario_order
from tests.support.servers import wait_for
from tests.support.topics import read_records

pytestmark = pytest.mark.timeout(120)

EVENTS = compressed(300, timedelta(minutes=8))
START = datetime.fromisoformat(EVENTS[0]["time"])


def key(event: dict[str, object]) -> tuple[object, object]:
    return event["source"], event["id"]


def plan(run: str, speed: float | None, **more: object) -> ReplayPlan:
    return ReplayPlan(incident=INCIDENT, run=run, speed=speed, **more)  # type: ignore[arg-type]


@contextmanager
def playing(settings: Settings, the_plan: ReplayPlan) -> Iterator[list[Progress]]:
    """The player in a thread; yields its progress reports (the last one is the latest)."""
    with psycopg.connect(str(settings.database_url)) as conn:
        create(conn, the_plan)
    seen: list[Progress] = []
    result: list[Progress] = []
    player = Player(settings, the_plan.run, seen.append)
    thread = threading.Thread(target=lambda: result.append(player.play()))
    thread.start()
    try:
        yield seen
    finally:
        thread.join(60)
    assert result, "the player did not finish"
    seen.append(result[0])


def control(settings: Settings, run: str, action: runs.FacilitatorControl, **how: object) -> None:
    with psycopg.connect(str(settings.database_url)) as conn:
        runs.control(conn, run, action, **how)  # type: ignore[arg-type]


def sent(settings: Settings, run: str) -> int:
    with psycopg.connect(str(settings.database_url)) as conn:
        row = conn.execute(
            "SELECT count(*) FROM exercise_event_times WHERE run = %s", (run,)
        ).fetchone()
        assert row is not None
        return int(row[0])


def started_at(settings: Settings, run: str) -> datetime:
    """When the clock last started: the player starts it again once it is ready to send."""
    with psycopg.connect(str(settings.database_url)) as conn:
        return [s.at for s in runs.load_clock(conn, run) if s.control == "start"][-1]


def test_events_leave_in_scenario_order_on_schedule_at_100x(settings: Settings) -> None:
    archive(str(settings.database_url), EVENTS)
    with playing(settings, plan("timing", 100.0)):
        pass
    records = read_records(settings, exercise_topic("timing"), len(EVENTS))
    assert len(records) == len(EVENTS)
    t0 = started_at(settings, "timing").timestamp()
    by_time = sorted(
        records,
        key=lambda r: (
            orjson.loads(r.value)["time"],
            orjson.loads(r.value)["source"],
            orjson.loads(r.value)["id"],
        ),
    )
    stamps = [r.timestamp / 1000 for r in by_time]
    assert stamps == sorted(stamps), "sent out of scenario order"
    deviations = [
        abs(
            r.timestamp / 1000
            - (
                t0
                + (datetime.fromisoformat(orjson.loads(r.value)["time"]) - START).total_seconds()
                / 100
            )
        )
        for r in records
    ]
    p95 = statistics.quantiles(deviations, n=20)[-1]
    assert p95 <= 0.050, f"p95 deviation from schedule {p95 * 1000:.1f} ms"


def test_pause_and_resume_lose_and_repeat_nothing(settings: Settings) -> None:
    archive(str(settings.database_url), EVENTS)
    with playing(settings, plan("pausing", 100.0)):
        wait_for(lambda: sent(settings, "pausing") > 50, 30, "some events sent")
        control(settings, "pausing", "pause")
        threading.Event().wait(1.0)  # what was due at the pause goes out within the second
        paused_at = sent(settings, "pausing")
        threading.Event().wait(1.5)
        assert sent(settings, "pausing") == paused_at, "events sent while paused"
        assert paused_at < len(EVENTS)
        control(settings, "pausing", "resume")
        control(settings, "pausing", "speed", speed=1000.0)
    records = read_records(settings, exercise_topic("pausing"), len(EVENTS))
    keys = [key(orjson.loads(r.value)) for r in records]
    assert sorted(keys) == sorted(key(e) for e in EVENTS)


def test_jump_ahead_sends_what_lies_between_and_jump_back_sends_again(
    settings: Settings,
) -> None:
    archive(str(settings.database_url), EVENTS)
    ordered = scenario_order(EVENTS)
    ahead = datetime.fromisoformat(ordered[200]["time"])
    back = datetime.fromisoformat(ordered[100]["time"])
    with playing(settings, plan("jumping", 2.0)) as seen:
        control(settings, "jumping", "jump", to=ahead)
        wait_for(lambda: sent(settings, "jumping") >= 200, 5, "the jump ahead")
        assert sent(settings, "jumping") < 220
        control(settings, "jumping", "jump", to=back)
        wait_for(
            lambda: seen and seen[-1].scenario_time is not None and seen[-1].scenario_time < ahead,
            5,
            "the jump back",
        )
        control(settings, "jumping", "speed", speed=None)
    records = read_records(settings, exercise_topic("jumping"), len(EVENTS) + 90)
    ids = [key(orjson.loads(r.value)) for r in records]
    assert set(ids) == {key(e) for e in EVENTS}
    twice = {i for i in ids if ids.count(i) > 1}
    between = {key(e) for e in EVENTS if back <= datetime.fromisoformat(e["time"]) < ahead}
    after_back = {key(e) for e in EVENTS if back <= datetime.fromisoformat(e["time"])}
    assert between <= twice <= after_back, "the span jumped back over goes twice, nothing else"


INJECTS = """
injects:
  - id: hub-closes
    at: "{at}"
    synopsis: Tolworth hub floods and closes
    target: kingston-foodbank
    expected_action: Move Tolworth parcels to the central warehouse
    events:
      - type: resilience.hub.status.v1
        partner: kingston-foodbank
        subject: tolworth-hub
        data: {{hub_id: tolworth-hub, name: Tolworth hub, area: tolworth-and-hook-rise,
               status: closed, parcels_per_day: 0}}
      - type: resilience.request.raised.v1
        partner: rbk-council
        repeat: 5
        subject: "surge-{{n}}"
        data: {{request_id: "surge-{{n}}", need: food, priority: urgent,
               area: tolworth-and-hook-rise, household_size: 2, shielding: true,
               channel: helpline}}
    suppress: {{partner: volunteering-kingston, minutes: 60}}
  - id: held-back
    at: "{at}"
    synopsis: Never fires
    events:
      - type: resilience.partner.capacity.v1
        partner: age-uk-kingston
        subject: age-uk-kingston
        data: {{need: befriending, capacity_per_day: 0, status: overwhelmed}}
"""


def test_injects_fire_at_their_scenario_time_and_silence_a_partner(
    settings: Settings, tmp_path: Path
) -> None:
    archive(str(settings.database_url), EVENTS)
    ordered = scenario_order(EVENTS)
    at = datetime.fromisoformat(ordered[150]["time"])
    injects = tmp_path / "injects.yaml"
    injects.write_text(INJECTS.format(at=at.isoformat()))
    the_plan = plan("injected", None, injects=injects)
    with psycopg.connect(str(settings.database_url)) as conn:
        create(conn, the_plan)
        runs.change_inject(conn, "injected", "held-back", "skip")
    progress = Player(settings, "injected").play()
    assert progress.injects_fired == ["hub-closes"]
    silenced = [
        e
        for e in ordered
        if e["partner"] == "volunteering-kingston"
        and at <= datetime.fromisoformat(e["time"]) < at + timedelta(minutes=60)
    ]
    assert silenced and progress.suppressed == len(silenced)
    expected = len(EVENTS) - len(silenced) + 6
    records = read_records(settings, exercise_topic("injected"), expected)
    assert len(records) == expected
    added = [orjson.loads(r.value) for r in records if r.key and b"surge" in r.key]
    assert len(added) == 5
    assert {datetime.fromisoformat(e["time"]) for e in added} == {at}
    # In send order the inject's events come after every event before its time.
    with psycopg.connect(str(settings.database_url)) as conn:
        rows = conn.execute(
            "SELECT origin, scenario_time FROM exercise_event_times WHERE run = 'injected'"
            " ORDER BY exercise_time, origin DESC"
        ).fetchall()
    first_inject = next(n for n, (origin, _) in enumerate(rows) if origin == "inject")
    assert all(t < at for origin, t in rows[:first_inject])


def test_shift_to_now_moves_the_run_onto_today_by_whole_days(settings: Settings) -> None:
    archive(str(settings.database_url), EVENTS)
    with psycopg.connect(str(settings.database_url)) as conn:
        create(conn, plan("today", None, shift_to_now=True))
    Player(settings, "today").play()
    records = read_records(settings, exercise_topic("today"), len(EVENTS))
    days = (datetime.now(START.tzinfo).date() - START.date()).days
    original = {key(e): datetime.fromisoformat(e["time"]) for e in EVENTS}
    for record in records:
        event = orjson.loads(record.value)
        assert datetime.fromisoformat(event["time"]) == original[key(event)] + timedelta(days)
