"""What the situation board at `/` shows, read in one go: the incidents with their sitreps at T,
the exercise runs and their clocks, and the partners with when each last published.

Every figure is the sitrep's own (services/figures/sitrep.py), never worked out here, so the
board, `GET /v1/incidents/{id}/sitrep`, `tandem sitrep` and the dashboards agree.

T when none is asked for, per incident: now while the incident is live (it has an event in the
last 24 hours, the window of the windowed figures), else the time of its latest event — a past
incident (the 2020 demo) shows its figures as they stood when it went quiet, not the figures of
today, in which every request would be days old and nothing fulfilled in the last 24 hours.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import psycopg

from schemas.thresholds import WINDOW
from services.exercises.runs import RunStatus, statuses
from services.figures.sitrep import Sitrep, sitrep

Conn = psycopg.Connection[Any]
Basis = Literal["asked", "now", "latest"]

# The live incidents, one index probe each (skipping through counted_events_time), with the
# span of their events: a board refreshed every 30 seconds must not scan the figures.
INCIDENTS = """
WITH RECURSIVE incidents (incident) AS (
    (SELECT incident FROM counted_events WHERE run = 'live' ORDER BY incident LIMIT 1)
    UNION ALL
    SELECT (SELECT c.incident FROM counted_events c
            WHERE c.run = 'live' AND c.incident > i.incident ORDER BY c.incident LIMIT 1)
    FROM incidents i WHERE i.incident IS NOT NULL
)
SELECT incident,
       (SELECT min(time) FROM counted_events c WHERE c.run = 'live' AND c.incident = i.incident),
       (SELECT max(time) FROM counted_events c WHERE c.run = 'live' AND c.incident = i.incident)
FROM incidents i WHERE incident IS NOT NULL
ORDER BY incident COLLATE "C"
"""

# Each partner's events counted in the live figures and its latest event, over the incidents
# given: the hourly figures give the count and the last hour with events (their primary key
# leads to both), and the events counted in that hour the exact time — all index ranges, where
# the event store would have to be read whole (no index of it leads with the partner).
PARTNERS = """
SELECT p.id, p.name, coalesce(sum(counted.events), 0)::bigint, max(counted.latest)
FROM partners p
LEFT JOIN LATERAL (
    SELECT hourly.events, (
        SELECT max(c.time) FROM counted_events c
        WHERE c.run = 'live' AND c.incident = i.incident AND c.partner = p.id
          AND c.time >= hourly.last_hour AND c.time < hourly.last_hour + interval '1 hour'
    ) AS latest
    FROM unnest(%(incidents)s::text[]) AS i (incident)
    CROSS JOIN LATERAL (
        SELECT sum(value) AS events, max(hour) AS last_hour FROM hourly_figures h
        WHERE h.run = 'live' AND h.incident = i.incident AND h.metric = 'events'
          AND h.key = p.id
    ) AS hourly
) AS counted ON true
GROUP BY p.id, p.name
ORDER BY p.id COLLATE "C"
"""


class UnknownIncident(LookupError):
    """An incident asked for that has no event; the message names the known ones."""

    def __init__(self, incident: str, known: list[str]) -> None:
        names = ", ".join(known) if known else "none yet"
        super().__init__(f"no incident {incident}: the incidents with events are {names}")
        self.known = known


@dataclass(frozen=True)
class Incident:
    incident: str
    first_event: datetime
    latest_event: datetime


@dataclass(frozen=True)
class IncidentBoard:
    incident: Incident
    basis: Basis
    """Why T is what it is: asked for (`?at=`), now (live), or the latest event (past)."""
    report: Sitrep


@dataclass(frozen=True)
class PartnerLine:
    partner: str
    name: str
    events: int
    """Counted in the live figures of every incident."""
    latest_event: datetime | None


@dataclass(frozen=True)
class Board:
    now: datetime
    asked_at: datetime | None
    incidents: list[IncidentBoard]
    runs: list[RunStatus]
    partners: list[PartnerLine]


def default_at(incident: Incident, now: datetime) -> tuple[datetime, Basis]:
    """The board's T for an incident when none is asked for (the module's docstring says why)."""
    if now - incident.latest_event <= WINDOW:
        return now, "now"
    return incident.latest_event, "latest"


def incidents(conn: Conn) -> list[Incident]:
    return [Incident(*row) for row in conn.execute(INCIDENTS).fetchall()]


def gather(conn: Conn, at: datetime | None = None, only: str | None = None) -> Board:
    """The board at `at` (default: per incident, as `default_at` says), for every incident or
    `only` the one named; UnknownIncident when it has no event."""
    row = conn.execute("SELECT clock_timestamp()").fetchone()
    assert row is not None
    now: datetime = row[0]
    known = incidents(conn)
    shown = [i for i in known if only is None or i.incident == only]
    if only is not None and not shown:
        raise UnknownIncident(only, [i.incident for i in known])
    boards = []
    for incident in shown:
        t, basis = default_at(incident, now)
        if at is not None:
            t, basis = at, "asked"
        boards.append(IncidentBoard(incident, basis, sitrep(conn, incident.incident, t)))
    every = {"incidents": [i.incident for i in known]}
    partners = [PartnerLine(*row) for row in conn.execute(PARTNERS, every).fetchall()]
    runs = [run for run in statuses(conn) if only is None or run.incident == only]
    conn.commit()
    return Board(now, at, boards, runs, partners)
