"""Whether the stack has recovered from a fault, and whether it has caught up with everything.

Recovered means working as before the fault, under the same steady stream: the gateway is
ready and has answered 202 to a request first sent after the fault; the archive, the figures
and the router have each taken in an event stored after the fault, and none of them has an
event waiting longer than the freshness target (2 s from 202 to the figures); and the same for
the inbound service and the events the broker acknowledged to the partner producing to Kafka.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
import psycopg

from schemas.lifecycle import LIFECYCLE
from services.settings import Settings
from tests.support.steady_stream import Delivered, Event

FRESH_SECONDS = 2.0

Key = tuple[str, str]
Conn = psycopg.Connection[Any]

# What each consumer of `events.accepted` takes in of a stored event `e`: (its row, which events)
TAKEN_IN = {
    "archive": ("SELECT FROM archive x WHERE (x.source, x.id) = (e.source, e.id)", "true"),
    "figures": (
        "SELECT FROM counted_events x WHERE (x.run, x.source, x.id) = ('live', e.source, e.id)",
        "true",
    ),
    "router": (
        "SELECT FROM sharing_request_events x WHERE (x.source, x.id) = (e.source, e.id)",
        "e.type = ANY(%(lifecycle)s)",
    ),
}
# For each: how long (s) the oldest stored event it lacks has been stored (NULL: it lacks
# none), and whether it has taken in an event stored after %(since)s.
PROGRESS_SQL = "SELECT " + ", ".join(
    f"(SELECT extract(epoch FROM clock_timestamp() - min(e.received_at)) FROM events e"
    f" WHERE {which} AND NOT EXISTS ({row})),"
    f" EXISTS (SELECT FROM events e WHERE {which} AND e.received_at > %(since)s"
    f" AND EXISTS ({row}))"
    for row, which in TAKEN_IN.values()
)


@dataclass(frozen=True)
class Progress:
    waiting: float | None  # seconds its oldest missing event has waited; None: none missing
    since: bool  # it has taken in something that arrived after the moment asked about

    def recovered(self) -> bool:
        return self.since and (self.waiting or 0.0) <= FRESH_SECONDS


def key(event: Event) -> Key:
    return str(event["source"]), str(event["id"])


def stored_keys(conn: Conn, partner: str | None = None) -> set[Key]:
    rows = conn.execute(
        "SELECT source, id FROM events WHERE %(partner)s::text IS NULL OR partner = %(partner)s",
        {"partner": partner},
    )
    found = {(str(source), str(id_)) for source, id_ in rows}
    conn.rollback()
    return found


def consumers_progress(conn: Conn, since: datetime) -> dict[str, Progress]:
    """Where the archiver, the aggregator and the router are, in the store's clock."""
    row = conn.execute(PROGRESS_SQL, {"lifecycle": list(LIFECYCLE), "since": since}).fetchone()
    conn.rollback()
    assert row is not None
    return {
        name: Progress(None if row[2 * n] is None else float(row[2 * n]), bool(row[2 * n + 1]))
        for n, name in enumerate(TAKEN_IN)
    }


def inbound_progress(conn: Conn, delivered: Delivered, partner: str, fault_at: float) -> Progress:
    """The same for the inbound service, in time.monotonic(), for what the broker acknowledged
    in the logs it still has (a broker that restarted empty lost the others)."""
    stored = stored_keys(conn, partner)
    now = time.monotonic()
    acked = [(a.at, key(a.event)) for a in delivered.acked_in_logs_kept()]
    missing = [now - at for at, k in acked if k not in stored]
    return Progress(
        max(missing, default=None), any(at > fault_at and k in stored for at, k in acked)
    )


def gateway_ready(settings: Settings) -> bool:
    try:
        return httpx.get(f"{settings.gateway_url}/readyz", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


@dataclass(frozen=True)
class Strike:
    """When a fault struck, by both clocks."""

    at: float  # time.monotonic()
    wall: datetime


def not_recovered(
    settings: Settings, delivered: Delivered, partner: str, strike: Strike
) -> list[str]:
    """What has not recovered yet from the fault `strike` tells of; empty once all has."""
    lagging = [] if gateway_ready(settings) else ["gateway not ready"]
    if delivered.first_202_sent_after(strike.at) is None:
        lagging.append("no 202 yet for a request sent after the fault")
    try:
        with psycopg.connect(settings.require_database_url(), connect_timeout=2) as conn:
            progress = consumers_progress(conn, strike.wall)
            progress["inbound"] = inbound_progress(conn, delivered, partner, strike.at)
    except psycopg.OperationalError:
        return [*lagging, "database unreachable"]
    return lagging + [f"{name}: {p}" for name, p in progress.items() if not p.recovered()]
