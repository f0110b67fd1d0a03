"""The reconciler: what the relay's delivery lost after confirming it is found in the store and
sent again, and only that; its findings are what `/metrics`, `/readyz` and `tandem status` show.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import psycopg

from services.figures.writer import apply_batch
from services.relay.reconciler import (
    ARCHIVE,
    FIGURES,
    ROUTER,
    Confirmations,
    Stored,
    expected_consumers,
    findings,
    reconcile,
    request_republish,
)
from services.relay.relay import Relay
from services.settings import Settings
from services.simulate import build
from services.streaming.topics import ensure_topics
from tests.support.events_store import insert_events
from tests.support.figures_tables import snapshot
from tests.support.ledgers import held_everywhere
from tests.support.servers import run_tandem, service_process, wait_for

T0 = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
BOUND = timedelta(seconds=30)


def stored(seq: int, *missing: str) -> Stored:
    return Stored((100, seq), "/orgs/p/s", f"e-{seq}", T0, missing)


def relayed(*seconds: tuple[int, float]) -> Confirmations:
    """The relay confirmed up to each seq at T0 + that many seconds."""
    return Confirmations([((100, seq), T0 + timedelta(seconds=s)) for seq, s in seconds])


def test_an_event_is_overdue_once_its_consumer_has_moved_a_bound_past_it() -> None:
    scanned = [stored(1), stored(2, FIGURES), stored(3), stored(4)]
    confirmed = relayed((2, 0), (3, 10), (4, 40))
    now = T0 + timedelta(seconds=60)
    found = findings((100, 0), scanned, confirmed, now, BOUND)
    assert found.position == (100, 1)
    assert found.uncounted == 1
    assert found.oldest_uncounted_at == T0
    assert [s.id for s in found.overdue] == ["e-2"]


def test_a_consumer_merely_behind_or_stopped_is_waited_for() -> None:
    # The figures have taken in nothing confirmed a bound after event 2: they are behind.
    scanned = [stored(1), stored(2, FIGURES), stored(3), stored(4, FIGURES)]
    confirmed = relayed((2, 0), (3, 10), (4, 40))
    found = findings((100, 0), scanned, confirmed, T0 + timedelta(hours=1), BOUND)
    assert found.uncounted == 2 and found.overdue == []


def test_an_event_the_relay_has_not_confirmed_is_not_overdue() -> None:
    scanned = [stored(1, ARCHIVE, FIGURES, ROUTER)]
    found = findings((100, 0), scanned, relayed(), T0 + timedelta(hours=1), BOUND)
    assert found.uncounted == 1 and found.overdue == [] and found.position == (100, 0)


def test_a_run_event_is_expected_in_the_runs_figures_while_the_run_goes_on() -> None:
    assert expected_consumers(None, None) == (ARCHIVE, FIGURES, ROUTER)
    assert expected_consumers("drill-1", "running") == (FIGURES,)
    assert expected_consumers("drill-1", "paused") == (FIGURES,)
    assert expected_consumers("drill-1", "finished") == ()


EVENTS = build("kingston-2020").events[:3000]
DROPPED_EVERY = 7  # of the first half's events


class LossyRelay(Relay):
    """A relay whose delivery loses records after the broker confirmed them, on purpose."""

    def __init__(self, settings: Settings, conn: psycopg.Connection[tuple[object, ...]]) -> None:
        super().__init__(settings, conn, batch=500)
        self.losing = True
        self.lost: list[bytes] = []

    def _publish_confirmed(self, records: list[tuple[str, bytes, bytes]]) -> bool:
        if self.losing:
            self.lost += [value for _, _, value in records[::DROPPED_EVERY]]
            records = [r for n, r in enumerate(records) if n % DROPPED_EVERY]
        return super()._publish_confirmed(records)


def test_records_lost_after_the_broker_confirmed_them_are_found_and_sent_again(
    settings: Settings, new_database: Callable[[], str], tmp_path: Path
) -> None:
    ensure_topics(settings)
    url = str(settings.database_url)
    bound = timedelta(seconds=2)
    half = len(EVENTS) // 2
    with ExitStack() as services, psycopg.connect(url) as conn:
        for name in ("archiver", "aggregator", "router"):
            services.enter_context(
                service_process(f"services.{name}", settings, tmp_path / f"{name}.log")
            )
        relay = LossyRelay(settings, conn)
        insert_events(conn, EVENTS[:half])
        conn.commit()
        while relay.relay_once():
            pass
        relay.losing = False
        time.sleep(bound.total_seconds())  # the next events go out a bound after the lost ones
        insert_events(conn, EVENTS[half:])
        conn.commit()
        while relay.relay_once():
            pass
        lost = len(relay.lost)
        assert lost >= half // DROPPED_EVERY

        def consumers_past_the_loss() -> bool:
            found = reconcile(conn, bound)
            everywhere = {ARCHIVE, FIGURES, ROUTER}
            overdue = [s for s in found.overdue if set(s.missing_from) == everywhere]
            return found.uncounted == len(overdue) == lost

        wait_for(consumers_past_the_loss, 120, "the consumers to move a bound past the loss")
        repaired_at = time.monotonic()
        row = conn.execute("SELECT repairs_total, uncounted FROM completeness").fetchone()
        assert row is not None and row[0] >= lost and row[1] == lost
        requested = set(conn.execute("SELECT source, id FROM republish").fetchall())
        assert {(e["source"], e["id"]) for e in map(orjson.loads, relay.lost)} <= requested
        while relay.relay_once():
            pass
        wait_for(lambda: held_everywhere(url), 60, "every stored event downstream")
        assert time.monotonic() - repaired_at < 30
        found = reconcile(conn, bound)
        assert found.uncounted == 0 and found.overdue == []
        conn.commit()
        relay.drop_producer()
        figures = snapshot(conn)
    with psycopg.connect(new_database()) as expected:
        apply_batch(expected, "live", EVENTS)
        expected.commit()
        assert figures == snapshot(expected)


def test_events_an_open_transaction_holds_back_from_the_relay_are_behind(
    settings: Settings,
) -> None:
    """A write left open (an operator's psql, a long migration) holds the relay back from every
    event stored after it began; those events are stored and reach no consumer."""
    url = str(settings.database_url)
    with psycopg.connect(url) as held, psycopg.connect(url, autocommit=True) as conn:
        held.execute("SELECT pg_current_xact_id()")  # an id, and so a place in store order
        with conn.transaction():
            insert_events(conn, EVENTS[:3])
        conn.execute("UPDATE events SET received_at = now() - interval '95 seconds'")
        stored_at = conn.execute("SELECT min(received_at) FROM events").fetchone()
        found = reconcile(conn, BOUND)
        assert found.uncounted == 3 and found.overdue == []
        assert stored_at is not None and found.oldest_uncounted_at == stored_at[0]
        assert found.position == (0, 0)  # never past what the open transaction may yet store
        held.rollback()


def test_a_repair_is_asked_for_once_per_bound(settings: Settings) -> None:
    events = [stored(n, ARCHIVE) for n in range(3)]
    with psycopg.connect(str(settings.database_url)) as conn:
        assert request_republish(conn, events, BOUND) == 3
        assert request_republish(conn, events, BOUND) == 0
        assert request_republish(conn, events, timedelta(0)) == 3


def test_tandem_status_says_when_figures_are_behind_and_what_is_repaired(
    settings: Settings,
) -> None:
    env = settings.child_env()
    with psycopg.connect(str(settings.database_url), autocommit=True) as conn:
        conn.execute("UPDATE completeness SET checked_at = now()")
        complete = run_tandem(env, "status")
        conn.execute(
            "UPDATE completeness SET uncounted = 12, repairing = 2, repairs_total = 5,"
            " oldest_uncounted_at = now() - interval '2 minutes'"
        )
        behind = run_tandem(env, "status")
        as_json = run_tandem(env, "status", "--format", "json")
    assert complete.returncode == 0, complete.stderr
    assert "figures   complete" in complete.stdout
    assert re.search(
        r"figures behind: 12 events stored but not yet counted, the oldest 12\d s ago",
        behind.stdout,
    )
    assert "repairing: 2 events published again" in behind.stdout
    assert "5 events published again by the reconciler" in behind.stdout
    figures = orjson.loads(as_json.stdout)["figures"]
    assert figures["uncounted"] == 12 and figures["repairs_total"] == 5
