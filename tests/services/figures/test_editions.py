"""Sitrep editions: an issued edition keeps its figures under late events, and the next one
reports both what changed since it and what the late events did to it (hand-worked numbers);
two issuers at once never share a number."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest

from services.figures.editions import UnknownEdition, edition, editions, issue
from tests.support.figures_tables import load
from tests.support.sitrep_events import INCIDENT, SCENARIO, SCENARIO_SITREP, T, ago, later, raised

ISSUED = datetime(2024, 3, 10, 12, 5, tzinfo=UTC)

# Two requests raised before T that reach Tandem only after edition 1 is issued, and one after T.
LATE = [raised("s4", ago(hours=5), "food", "urgent"), raised("s5", ago(hours=3))]
AFTER = [raised("s6", later(hours=1))]


@pytest.fixture
def conn(database_url: str) -> Iterator[psycopg.Connection[Any]]:
    with psycopg.connect(database_url) as connection:
        yield connection


def issued(conn: psycopg.Connection[Any], at: datetime, by: str = "duty officer") -> Any:
    found = issue(conn, INCIDENT, at, by, ISSUED)
    assert found is not None
    return found


def test_an_edition_keeps_its_figures_and_the_next_says_what_changed_and_what_came_late(
    conn: psycopg.Connection[Any],
) -> None:
    load(conn, SCENARIO)
    first = issued(conn, T)
    assert (first.number, first.previous, first.changes, first.late) == (1, None, {}, None)
    assert first.figures.model_dump(mode="json") == SCENARIO_SITREP

    load(conn, LATE + AFTER)
    # Edition 1 as stored is what it was: 1 open request, 3 raised.
    kept = edition(conn, INCIDENT, 1)
    assert kept.figures.model_dump(mode="json") == SCENARIO_SITREP
    assert kept.issued_by == "duty officer" and kept.issued_at == ISSUED

    second = issued(conn, T + timedelta(hours=3))
    assert second.number == 2 and second.previous == 1
    # At T+3h: s1 was cancelled at T+2h; s4, s5 (late) and s6 are open; 6 raised.
    assert second.figures.requests.open == 3
    changes = {path: c.model_dump() for path, c in second.changes.items()}
    assert changes["requests.open"] == {"now": 3, "then": 1, "change": 2}
    assert changes["requests.raised_total"] == {"now": 6, "then": 3, "change": 3}
    # s1 (shopping, high) closed; s4 food urgent, s5 and s6 food routine opened.
    assert changes["requests.open_by_need[shopping]"] == {"now": 0, "then": 1, "change": -1}
    assert changes["requests.open_by_need[food]"] == {"now": 3, "then": 0, "change": 3}
    assert changes["requests.open_by_priority[urgent]"] == {"now": 1, "then": 0, "change": 1}
    assert changes["requests.open_over_72h"] == {"now": 0, "then": 1, "change": -1}
    assert changes["areas[unknown].open"] == {"now": 3, "then": 1, "change": 2}
    assert changes["areas[unknown].urgent_open"] == {"now": 1, "then": 0, "change": 1}
    assert "volunteers.registered" not in changes  # unchanged figures are not listed

    # Edition 1 would now read 3 open (s1, s4, s5 at T) and 5 raised: 2 arrived late.
    assert second.late is not None and second.late.edition == 1
    late = {path: c.model_dump() for path, c in second.late.changes.items()}
    assert late["requests.open"] == {"now": 3, "then": 1, "change": 2}
    assert late["requests.raised_total"] == {"now": 5, "then": 3, "change": 2}
    assert second.late.words(2) == (
        "edition 1 would now read: Open requests 3 (1 as issued, +2 from late events), "
        f"Requests raised in total 5 (3 as issued, +2 from late events) and {len(late) - 2} other"
        " figures changed"
    )

    # What is stored is what was returned, and the first edition is still untouched.
    assert edition(conn, INCIDENT, 2) == second
    assert edition(conn, INCIDENT, 1) == kept


def test_no_late_note_when_nothing_came_late_and_an_unknown_edition_names_those_there_are(
    conn: psycopg.Connection[Any],
) -> None:
    load(conn, SCENARIO)
    issued(conn, T)
    load(conn, AFTER)
    second = issued(conn, T + timedelta(hours=3))
    assert second.late is None
    assert [line.number for line in editions(conn, INCIDENT)] == [1, 2]
    with pytest.raises(
        UnknownEdition, match=f"no edition 3 of {INCIDENT}: its editions are 1 to 2"
    ):
        edition(conn, INCIDENT, 3)
    with pytest.raises(UnknownEdition, match="no edition 1 of storm-2026: it has no edition yet"):
        edition(conn, "storm-2026", 1)


def test_issuers_at_once_take_numbers_one_after_another(database_url: str) -> None:
    with psycopg.connect(database_url) as conn:
        load(conn, SCENARIO)
    numbers: list[int] = []
    start = threading.Barrier(6)

    def issuer() -> None:
        with psycopg.connect(database_url) as conn:
            start.wait()
            numbers.append(issued(conn, T).number)

    threads = [threading.Thread(target=issuer) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(numbers) == [1, 2, 3, 4, 5, 6]
    with psycopg.connect(database_url) as conn:
        lines = editions(conn, INCIDENT)
        assert [line.number for line in lines] == [1, 2, 3, 4, 5, 6]
        # Each is against the one truly before it: nothing changed between them.
        assert all(edition(conn, INCIDENT, n).changes == {} for n in range(2, 7))
