"""Scheduled editions: the slots of local times across the clock changes (09:00 Europe/London is
08:00Z in summer, 09:00Z in winter), and an issuer on an injected clock that issues each slot
once, none twice and none skipped when it was stopped across some."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from typing import Any

import psycopg
import pytest

from services.figures.incidents import UnknownIncident
from services.figures.schedules import (
    add,
    issue_due,
    next_slot,
    parse_times,
    remove,
    schedules,
    seconds_to_next,
    slots,
)
from tests.support.figures_tables import load
from tests.support.sitrep_events import raised

TIMES = (time(9), time(17))
LONDON = "Europe/London"
INCIDENT = "storm-2024"


def z(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_local_times_fall_an_hour_earlier_in_utc_across_the_spring_change() -> None:
    # British Summer Time began at 01:00Z on 31 March 2024.
    assert slots(TIMES, LONDON, z("2024-03-29T09:00"), z("2024-04-01T12:00")) == [
        z("2024-03-29T17:00"),
        z("2024-03-30T09:00"),
        z("2024-03-30T17:00"),
        z("2024-03-31T08:00"),
        z("2024-03-31T16:00"),
        z("2024-04-01T08:00"),
    ]


def test_and_an_hour_later_again_across_the_autumn_change() -> None:
    # It ended at 01:00Z on 27 October 2024.
    assert slots(TIMES, LONDON, z("2024-10-26T00:00"), z("2024-10-28T00:00")) == [
        z("2024-10-26T08:00"),
        z("2024-10-26T16:00"),
        z("2024-10-27T09:00"),
        z("2024-10-27T17:00"),
    ]
    assert next_slot(TIMES, LONDON, z("2024-10-26T16:00")) == z("2024-10-27T09:00")


def test_a_skipped_local_time_is_issued_once_and_a_repeated_one_once() -> None:
    skipped = slots((time(1, 30),), LONDON, z("2024-03-30T12:00"), z("2024-04-01T12:00"))
    assert skipped == [z("2024-03-31T01:30"), z("2024-04-01T00:30")]
    repeated = slots((time(1, 30),), LONDON, z("2024-10-26T12:00"), z("2024-10-28T12:00"))
    assert repeated == [z("2024-10-27T00:30"), z("2024-10-28T01:30")]


def test_times_are_read_sorted_once_and_a_bad_one_is_named() -> None:
    assert parse_times("17:00, 09:00,17:00") == TIMES
    with pytest.raises(ValueError, match="'9am' is not a time of day such as 09:00"):
        parse_times("9am")
    with pytest.raises(ValueError, match="'Mars/Olympus' is not a time zone"):
        slots(TIMES, "Mars/Olympus", z("2024-01-01T00:00"), z("2024-01-02T00:00"))


@pytest.fixture
def conn(database_url: str) -> Iterator[psycopg.Connection[Any]]:
    with psycopg.connect(database_url) as connection:
        # A request every 6 hours from 29 March to 2 April: live at every slot.
        start = z("2024-03-29T00:00")
        load(
            connection,
            [
                raised(f"r{n}", (start + timedelta(hours=6 * n)).isoformat(), incident=INCIDENT)
                for n in range(17)
            ],
        )
        yield connection


def issued_slots(conn: psycopg.Connection[Any]) -> list[tuple[int, datetime, datetime, str]]:
    rows = conn.execute(
        "SELECT number, slot, at, issued_by FROM sitrep_editions WHERE incident = %s"
        " ORDER BY number",
        (INCIDENT,),
    ).fetchall()
    conn.commit()
    return [tuple(row) for row in rows]  # type: ignore[misc]


def test_the_issuer_issues_each_slot_once_across_the_change_and_after_a_stop(
    conn: psycopg.Connection[Any],
) -> None:
    add(conn, INCIDENT, TIMES, LONDON, z("2024-03-30T12:00"))
    assert seconds_to_next(conn, z("2024-03-30T12:00")) == 5 * 3600  # 17:00Z (GMT)

    assert issue_due(conn, z("2024-03-30T16:59:59")) == []
    assert [e.number for e in issue_due(conn, z("2024-03-30T17:00"))] == [1]
    assert issue_due(conn, z("2024-03-30T17:05")) == []  # never twice

    # Stopped overnight across the change; on starting again at 20:00Z on 31 March it issues
    # both slots it missed, each as of its own time, oldest first: 09:00 and 17:00 BST.
    caught_up = issue_due(conn, z("2024-03-31T20:00"))
    assert [(e.number, e.at) for e in caught_up] == [
        (2, z("2024-03-31T08:00")),
        (3, z("2024-03-31T16:00")),
    ]
    assert issue_due(conn, z("2024-03-31T20:00")) == []
    assert issued_slots(conn) == [
        (1, z("2024-03-30T17:00"), z("2024-03-30T17:00"), "schedule"),
        (2, z("2024-03-31T08:00"), z("2024-03-31T08:00"), "schedule"),
        (3, z("2024-03-31T16:00"), z("2024-03-31T16:00"), "schedule"),
    ]
    # Edition 3's changes are since edition 2: r10, raised at 12:00Z, the 11th since 29 March.
    raised_total = caught_up[1].changes["requests.raised_total"]
    assert (raised_total.now, raised_total.then, raised_total.change) == (11, 10, 1)
    assert seconds_to_next(conn, z("2024-03-31T20:00")) == 12 * 3600  # 08:00Z (BST)

    assert remove(conn, INCIDENT) and not remove(conn, INCIDENT)
    assert schedules(conn) == [] and issue_due(conn, z("2024-04-02T00:00")) == []


def test_an_unknown_incident_cannot_be_scheduled(conn: psycopg.Connection[Any]) -> None:
    with pytest.raises(UnknownIncident, match=f"the incidents with events are {INCIDENT}"):
        add(conn, "flood-2042", TIMES, LONDON, z("2024-03-30T12:00"))
