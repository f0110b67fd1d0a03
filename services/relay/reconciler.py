"""The reconciler: every stored event reaches each consumer that should hold it, or is sent again.

It walks the event store in store order (as the relay does) and looks each event up in the
ledgers of its consumers: the archive, the figures' `counted_events` (live, or the exercise
run the event belongs to while that run is going on) and the router's `routed_events`. Its
position is the store position up to which every consumer holds everything. Events stored
after a transaction still open (the relay publishes none of them until it ends, so that one it
stores late is never skipped) are behind too, counted and dated like the rest: a write left open
anywhere in the database holds the figures back, and shows.

An event missing from a consumer is overdue once the relay confirmed it on the broker at least
`bound` ago and that consumer has since taken in an event the relay confirmed at least `bound`
after it: a consumer that has moved that far past it will not read it any more. (A consumer
that is merely behind, or stopped, is waited for, not flooded with repeats it would also be
behind on.) An overdue event is put in the `republish` outbox, once per `bound`, for the relay
to publish again; consumers count an event once, so a repeat changes nothing.

Each round's findings go to the `completeness` row that `/metrics`, `/readyz`, `tandem status`
and the Grafana alert read.
"""

from __future__ import annotations

import bisect
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from services.settings import Settings
from services.store.connections import connect
from services.streaming.completeness import SCAN_LIMIT

log = logging.getLogger(__name__)

ROUND_SECONDS = 5.0

ARCHIVE, FIGURES, ROUTER = "archive", "figures", "router"
LIVE_CONSUMERS = (ARCHIVE, FIGURES, ROUTER)
RUNNING_STATES = ("running", "paused")

Conn = psycopg.Connection[Any]
Position = tuple[int, int]  # (tx, seq) in the store

SCAN_SQL = """
SELECT e.tx::text AS position_tx, e.seq, e.source, e.id, e.received_at, r.run, clock.state,
       e.tx < pg_snapshot_xmin(pg_current_snapshot()) AS settled,
       EXISTS (SELECT FROM archive a WHERE a.source = e.source AND a.id = e.id),
       EXISTS (SELECT FROM counted_events c
               WHERE c.run = coalesce(r.run, 'live') AND c.source = e.source AND c.id = e.id),
       EXISTS (SELECT FROM routed_events x WHERE x.source = e.source AND x.id = e.id)
FROM events e
LEFT JOIN exercise_runs r ON r.run = e.incident
LEFT JOIN LATERAL (SELECT state FROM exercise_clock k WHERE k.run = r.run
                   ORDER BY k.seq DESC LIMIT 1) AS clock ON true
WHERE (e.tx, e.seq) > (%(tx)s::xid8, %(seq)s)
ORDER BY e.tx, e.seq
LIMIT %(limit)s
"""


@dataclass(frozen=True)
class Stored:
    """A stored event as the reconciler finds it: which consumers lack it."""

    position: Position
    source: str
    id: str
    received_at: datetime
    missing_from: tuple[str, ...]
    settled: bool = True
    """Every transaction older than the event's has ended: the relay may publish it. One that
    has not (a long write anywhere in the database) holds the relay back, and the event is
    behind all the same."""


@dataclass(frozen=True)
class Findings:
    position: Position  # every consumer holds every event up to here
    uncounted: int  # events stored but not yet in every consumer that should hold them
    oldest_uncounted_at: datetime | None
    overdue: list[Stored]


def expected_consumers(run: str | None, run_state: str | None) -> tuple[str, ...]:
    """Who should hold an event: the live consumers, or a run's figures while it goes on."""
    if run is None:
        return LIVE_CONSUMERS
    return (FIGURES,) if run_state in RUNNING_STATES else ()


class Confirmations:
    """When the relay had confirmed the store up to each of its batches' last positions."""

    def __init__(self, rows: Sequence[tuple[Position, datetime]]) -> None:
        self.positions = [position for position, _ in rows]
        self.times = [at for _, at in rows]

    def relayed_at(self, position: Position) -> datetime | None:
        """When the event at `position` was confirmed on the broker; None if not yet."""
        index = bisect.bisect_left(self.positions, position)
        return self.times[index] if index < len(self.times) else None


def findings(
    start: Position,
    scanned: Sequence[Stored],
    confirmations: Confirmations,
    now: datetime,
    bound: timedelta,
) -> Findings:
    """What a round concludes from the events after `start`, in store order."""
    position = start
    for stored in scanned:
        if stored.missing_from or not stored.settled:
            break  # an open transaction older than this event may still store one before it
        position = stored.position
    behind = [stored for stored in scanned if stored.missing_from]
    progress: dict[str, datetime] = {}
    for stored in scanned:
        relayed = confirmations.relayed_at(stored.position)
        if relayed is None:
            break
        for consumer in LIVE_CONSUMERS:
            if consumer not in stored.missing_from:
                progress[consumer] = max(progress.get(consumer, relayed), relayed)
    overdue = []
    for stored in behind:
        relayed = confirmations.relayed_at(stored.position)
        if relayed is None or now - relayed < bound:
            continue
        if any(progress.get(c, relayed) - relayed >= bound for c in stored.missing_from):
            overdue.append(stored)
    return Findings(
        position,
        len(behind),
        min((stored.received_at for stored in behind), default=None),
        overdue,
    )


def scan(conn: Conn, start: Position, limit: int = SCAN_LIMIT) -> list[Stored]:
    rows = conn.execute(SCAN_SQL, {"tx": str(start[0]), "seq": start[1], "limit": limit}).fetchall()
    scanned = []
    for tx, seq, source, id_, received_at, run, state, settled, archived, counted, routed in rows:
        held = {ARCHIVE: archived, FIGURES: counted, ROUTER: routed}
        missing = tuple(c for c in expected_consumers(run, state) if not held[c])
        scanned.append(Stored((int(tx), int(seq)), source, id_, received_at, missing, settled))
    return scanned


def confirmations_after(conn: Conn, start: Position) -> Confirmations:
    rows = conn.execute(
        "SELECT tx::text AS position_tx, seq, confirmed_at FROM relay_confirmations"
        " WHERE (tx, seq) > (%s::xid8, %s) ORDER BY tx, seq",
        (str(start[0]), start[1]),
    ).fetchall()
    return Confirmations([((int(tx), int(seq)), at) for tx, seq, at in rows])


def request_republish(conn: Conn, overdue: Sequence[Stored], bound: timedelta) -> int:
    """Put the overdue events in the republish outbox, unless asked for within `bound`."""
    if not overdue:
        return 0
    rows = conn.execute(
        """
        INSERT INTO republish (source, id, missing_from)
        SELECT o.source, o.id, o.missing_from
        FROM jsonb_to_recordset(%s::jsonb) AS o(source text, id text, missing_from text[])
        WHERE NOT EXISTS (SELECT FROM republish r WHERE r.source = o.source AND r.id = o.id
                          AND r.requested_at > now() - %s)
        RETURNING source
        """,
        (
            Jsonb(
                [
                    {"source": s.source, "id": s.id, "missing_from": list(s.missing_from)}
                    for s in overdue
                ]
            ),
            bound,
        ),
    ).fetchall()
    return len(rows)


def reconcile(conn: Conn, bound: timedelta) -> Findings:
    """One round, in one transaction: find, repair, record."""
    with conn.transaction():
        row = conn.execute(
            "SELECT tx::text AS position_tx, seq, now() FROM completeness FOR UPDATE"
        ).fetchone()
        assert row is not None, "the completeness row is made by migration 0012"
        start, now = (int(row[0]), int(row[1])), row[2]
        found = findings(start, scan(conn, start), confirmations_after(conn, start), now, bound)
        repaired = request_republish(conn, found.overdue, bound)
        conn.execute(
            "UPDATE completeness SET tx = %s::xid8, seq = %s, checked_at = now(), uncounted = %s,"
            " oldest_uncounted_at = %s, repairs_total = repairs_total + %s,"
            " repairing = (SELECT count(DISTINCT (source, id)) FROM republish"
            "              WHERE requested_at > now() - %s)",
            (
                str(found.position[0]),
                found.position[1],
                found.uncounted,
                found.oldest_uncounted_at,
                repaired,
                bound,
            ),
        )
        conn.execute(
            "DELETE FROM relay_confirmations WHERE (tx, seq) < (%s::xid8, %s)",
            (str(found.position[0]), found.position[1]),
        )
    if repaired:
        first, last = found.overdue[0], found.overdue[-1]
        log.warning(
            "events missing downstream; published again",
            extra={
                "events": repaired,
                "missing_from": sorted({c for s in found.overdue for c in s.missing_from}),
                "first_seq": first.position[1],
                "last_seq": last.position[1],
            },
        )
    return found


def run_reconciler(settings: Settings, stop: threading.Event) -> None:
    """Reconcile every ROUND_SECONDS until `stop`, on a connection of its own; a failed round
    is logged and tried again (on a new connection if the old one was lost)."""
    bound = timedelta(seconds=settings.reconcile_bound_seconds)
    conn: Conn | None = None
    while not stop.wait(ROUND_SECONDS):
        try:
            if conn is None or conn.closed:
                conn = connect(settings)
            reconcile(conn, bound)
        except psycopg.Error as exc:
            log.warning("reconciliation failed; trying again", extra={"error": repr(exc)})
    if conn is not None:
        conn.close()
