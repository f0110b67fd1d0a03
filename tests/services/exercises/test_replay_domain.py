"""The exercise's plain parts: the clock, injects and their effects, the debrief's page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from schemas import parse_event_obj
from services.exercises.clock import Segment, scenario_at, segment_at, shift_to_day
from services.exercises.injects import (
    AddedEvent,
    Effect,
    InjectsInvalid,
    Suppression,
    added_events,
    load_injects,
    outages_of,
)
from tests.support.raised_requests import raised_request

T0 = datetime(2026, 11, 26, 9, tzinfo=UTC)
S0 = datetime(2020, 3, 16, 7, tzinfo=UTC)
CLOCK = [
    Segment("start", T0, "running", S0, 60.0),
    Segment("pause", T0 + timedelta(minutes=1), "paused", S0 + timedelta(hours=1), 60.0),
    Segment("resume", T0 + timedelta(minutes=5), "running", S0 + timedelta(hours=1), 120.0),
    Segment("jump", T0 + timedelta(minutes=6), "running", S0 + timedelta(days=2), 120.0),
]


@pytest.mark.parametrize(
    ("wall", "scenario"),
    [
        (T0 - timedelta(minutes=1), S0),  # before the start: the start
        (T0 + timedelta(seconds=30), S0 + timedelta(minutes=30)),
        (T0 + timedelta(minutes=3), S0 + timedelta(hours=1)),  # paused: stands still
        (T0 + timedelta(minutes=5, seconds=30), S0 + timedelta(hours=1, minutes=60)),
        (T0 + timedelta(minutes=7), S0 + timedelta(days=2, hours=2)),
    ],
)
def test_the_clock_maps_exercise_time_to_scenario_time(wall: datetime, scenario: datetime) -> None:
    assert scenario_at(CLOCK, wall) == scenario


def test_a_scenario_moment_comes_due_on_the_running_clock_only() -> None:
    assert CLOCK[0].due_at(S0 + timedelta(minutes=30)) == T0 + timedelta(seconds=30)
    assert CLOCK[1].due_at(S0 + timedelta(hours=2)) is None
    assert Segment("start", T0, "running", S0, None).due_at(S0 + timedelta(days=9)) is None
    assert segment_at(CLOCK, T0 + timedelta(minutes=5)) is CLOCK[2]


def test_shift_to_now_moves_whole_days() -> None:
    shift = shift_to_day(datetime(2020, 3, 16, 23, 30, tzinfo=UTC), T0)
    assert shift % timedelta(days=1) == timedelta(0)
    assert (datetime(2020, 3, 16, 23, 30, tzinfo=UTC) + shift).date() == T0.date()


SURGE = AddedEvent(
    type="resilience.request.raised.v1",
    partner="rbk-council",
    subject="surge-{n}",
    repeat=3,
    data=raised_request("surge-{n}"),
)


def test_an_inject_adds_valid_numbered_events_with_stable_ids() -> None:
    at = S0 + timedelta(days=4)
    events = added_events("surge", Effect(events=(SURGE,)), "kingston-2020-demo", at)
    assert [e["subject"] for e in events] == ["surge-1", "surge-2", "surge-3"]
    assert [e["data"]["request_id"] for e in events] == ["surge-1", "surge-2", "surge-3"]
    assert len({(e["source"], e["id"]) for e in events}) == 3
    assert all(datetime.fromisoformat(e["time"]) == at for e in events)
    for event in events:
        parse_event_obj(event)
    again = added_events("surge", Effect(events=(SURGE,)), "kingston-2020-demo", at)
    assert [e["id"] for e in again] == [e["id"] for e in events]


def test_an_outage_silences_its_partner_for_its_minutes() -> None:
    outages = outages_of(
        [(S0, Effect(suppress=Suppression(partner="volunteering-kingston", minutes=60)))]
    )
    assert outages.silences("volunteering-kingston", S0 + timedelta(minutes=59))
    assert not outages.silences("volunteering-kingston", S0 + timedelta(minutes=60))
    assert not outages.silences("volunteering-kingston", S0 - timedelta(seconds=1))
    assert not outages.silences("rbk-council", S0 + timedelta(minutes=1))


@pytest.mark.parametrize("name", ["kingston-injects.yaml", "ad-hoc-inject.yaml"])
def test_the_example_injects_make_valid_events(name: str) -> None:
    injects = load_injects(Path("examples/exercise") / name, "kingston-2020-demo")
    assert injects and all(i.synopsis and i.target for i in injects)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("injects: [{id: a, at: 2020-03-16T00:00:00Z}]", "synopsis"),
        ("injects: [{id: a, at: 2020-03-16T00:00:00, synopsis: s}]", "timezone"),
        ("injects: [{id: A!, at: 2020-03-16T00:00:00Z, synopsis: s}]", "pattern"),
        (
            "injects: [{id: a, at: 2020-03-16T00:00:00Z, synopsis: s},"
            " {id: a, at: 2020-03-16T00:00:00Z, synopsis: t}]",
            "unique",
        ),
        (
            "injects: [{id: a, at: 2020-03-16T00:00:00Z, synopsis: s, events: [{type:"
            " resilience.hub.status.v1, partner: p, subject: h, data: {hub_id: h}}]}]",
            "data.name: is required",
        ),
        ("injects: [", "while parsing"),
    ],
)
def test_a_bad_injects_file_is_refused_with_its_reason(
    tmp_path: Path, text: str, reason: str
) -> None:
    path = tmp_path / "injects.yaml"
    path.write_text(text)
    with pytest.raises(InjectsInvalid, match=reason):
        load_injects(path, "kingston-2020-demo")
