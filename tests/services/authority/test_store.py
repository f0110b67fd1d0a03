"""The roles in PostgreSQL: what the writers keep equals what the migration's backfill derives
from the stored events, and events stored before the rule grant only what the rule allows."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg

from schemas import parse_event_obj
from services.exercises.runs import Run, create_run
from services.simulate import build
from services.simulate.demo_stream import in_turn
from services.store.events import StoredEvent, append_in
from tests.support.authority_events import Event, request
from tests.support.events_store import insert_events

Conn = psycopg.Connection[Any]
ROLES = (
    "SELECT 'owner', incident, kind, entity, partner FROM authority_owners"
    " UNION ALL SELECT 'involved', incident, 'request', request_id, partner"
    " FROM authority_involvement"
)


def roles(conn: Conn) -> set[tuple[str, ...]]:
    return {tuple(row) for row in conn.execute(ROLES)}


def backfilled(conn: Conn) -> set[tuple[str, ...]]:
    conn.execute("TRUNCATE authority_owners, authority_involvement")
    conn.execute("SELECT authority_backfill()")
    return roles(conn)


def stored_through_the_door(conn: Conn, events: list[Event]) -> None:
    units = [[StoredEvent.of(parse_event_obj(e)) for e in batch] for _, batch in in_turn(events)]
    for start in range(0, len(units), 7):
        assert append_in(conn, units[start : start + 7]).verdicts == [None] * len(
            units[start : start + 7]
        )
    conn.commit()


def test_the_backfill_derives_the_roles_the_writers_keep(database_url: str) -> None:
    events = build("kingston-2020").events[:8000]
    with psycopg.connect(database_url) as conn:
        stored_through_the_door(conn, events)
        kept = roles(conn)
        assert {row[0] for row in kept} == {"owner", "involved"}
        kinds = {row[2] for row in kept}
        assert kinds == {"request", "hub", "volunteer", "deployment", "incident"}
        assert backfilled(conn) == kept


def test_events_stored_before_the_rule_grant_only_what_it_allows(database_url: str) -> None:
    council, foodbank, aid, rogue = "rbk-council", "kingston-foodbank", "aid", "rogue-org"
    history = [
        request(council, "raised", "r-1"),
        request(rogue, "raised", "r-1"),
        request(rogue, "referred", "r-1", to_partner=rogue),
        request(council, "referred", "r-1", to_partner=foodbank),
        request(foodbank, "referred", "r-1", to_partner=aid),
        request(rogue, "accepted", "r-1"),
    ]
    with psycopg.connect(database_url) as conn:
        start = datetime(2020, 4, 1, tzinfo=UTC)
        run = Run("drill-1", "covid-2020", start, start + timedelta(days=1), timedelta())
        create_run(conn, run, None, [])
        in_run = [
            {**request(rogue, "raised", "x-1"), "incident": "drill-1"},
            {**request(aid, "accepted", "r-1"), "incident": "drill-1"},
            {**request(council, "referred", "r-1", to_partner=rogue), "incident": "drill-1"},
        ]
        insert_events(conn, history + in_run)
        assert backfilled(conn) == {
            ("owner", "covid-2020", "request", "r-1", council),
            ("involved", "covid-2020", "request", "r-1", foodbank),
            ("involved", "covid-2020", "request", "r-1", aid),
            ("owner", "drill-1", "request", "x-1", rogue),
            ("involved", "drill-1", "request", "r-1", rogue),
        }
        later = [
            [StoredEvent.of(parse_event_obj(request(rogue, "cancelled", "r-1")))],
            [StoredEvent.of(parse_event_obj(request(aid, "fulfilled", "r-1")))],
        ]
        verdicts = append_in(conn, later).verdicts
        assert [None if v is None else v.status for v in verdicts] == [403, None]


def test_concurrent_writers_agree_on_one_owner_and_on_involvement(database_url: str) -> None:
    """Eight writers (gateway processes, the inbound service) raise the same new request at
    once, each for another partner: one owns it, the others are refused; and a referral racing
    the referred partner's event is either seen by it or not, never half."""
    partners = [f"partner-{n}" for n in range(8)]
    barrier = threading.Barrier(len(partners))

    def raise_it(partner: str) -> int | None:
        unit = [StoredEvent.of(parse_event_obj(request(partner, "raised", "r-race")))]
        with psycopg.connect(database_url) as conn:
            barrier.wait()
            [verdict] = append_in(conn, [unit]).verdicts
            return None if verdict is None else verdict.status

    with ThreadPoolExecutor(len(partners)) as pool:
        verdicts = list(pool.map(raise_it, partners))
    assert sorted(verdicts, key=str) == [409] * 7 + [None]
    winner = partners[verdicts.index(None)]
    with psycopg.connect(database_url) as conn:
        assert [row[0] for row in conn.execute("SELECT partner FROM events")] == [winner]

        for to, ends, then in (("aid", conn.rollback, 403), ("aid", conn.commit, None)):
            referral = request(winner, "referred", "r-race", to_partner=to)
            taken_on = [StoredEvent.of(parse_event_obj(request(to, "accepted", "r-race")))]
            with psycopg.connect(database_url) as other:
                append_in(conn, [[StoredEvent.of(parse_event_obj(referral))]])
                with ThreadPoolExecutor(1) as pool:
                    waiting = pool.submit(append_in, other, [taken_on])
                    time.sleep(0.5)
                    assert not waiting.done(), "the second writer judged before the first ended"
                    ends()  # the referral is stored, or not: the judgement sees which
                    [verdict] = waiting.result(timeout=10).verdicts
                    assert (None if verdict is None else verdict.status) == then
                other.commit()
