"""The incidents the figures know (those with a counted event), and the T a report shows when
none is asked for: one rule for the situation board, `tandem sitrep` and `tandem incidents`.

T when none is asked for, per incident: now while the incident is live (it has an event in the
last 24 hours, the window of the windowed figures), else the time of its latest event — a past
incident (the 2020 demo) shows its figures as they stood when it went quiet, not the figures of
today, in which every request would be days old and nothing fulfilled in the last 24 hours.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import psycopg

from schemas.thresholds import WINDOW

Conn = psycopg.Connection[Any]
Basis = Literal["asked", "now", "latest"]

# The live incidents, one index probe each (skipping through counted_events_time), with the
# span of their events: a board refreshed every 30 seconds must not scan the figures.
INCIDENTS = """
WITH RECURSIVE incidents (incident) AS (
    (SELECT incident FROM counted_events WHERE run = %(run)s ORDER BY incident LIMIT 1)
    UNION ALL
    SELECT (SELECT c.incident FROM counted_events c
            WHERE c.run = %(run)s AND c.incident > i.incident ORDER BY c.incident LIMIT 1)
    FROM incidents i WHERE i.incident IS NOT NULL
)
SELECT incident,
       (SELECT min(time) FROM counted_events c WHERE c.run = %(run)s AND c.incident = i.incident),
       (SELECT max(time) FROM counted_events c WHERE c.run = %(run)s AND c.incident = i.incident)
FROM incidents i WHERE incident IS NOT NULL
ORDER BY incident COLLATE "C"
"""

# Each incident's events and the partners that published them, from the hourly figures (an
# index range of their primary key), not from the events themselves.
COUNTS = """
SELECT incident, sum(value)::bigint, count(DISTINCT key)::bigint FROM hourly_figures
WHERE run = 'live' AND metric = 'events'
GROUP BY incident
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
class IncidentCounts:
    incident: Incident
    events: int
    """Counted in the figures: a duplicate is counted once."""
    partners: int


def default_at(incident: Incident, now: datetime) -> tuple[datetime, Basis]:
    """An incident's T when none is asked for (the module's docstring says why)."""
    if now - incident.latest_event <= WINDOW:
        return now, "now"
    return incident.latest_event, "latest"


def when_text(at: datetime) -> str:
    """`6 April 2020 09:00 UTC`: seconds only when there are some."""
    at = at.astimezone(UTC)
    seconds = f":{at:%S}" if at.second or at.microsecond else ""
    return f"{at.day} {at:%B %Y %H:%M}{seconds} UTC"


WHY: dict[Basis, str] = {
    "asked": "the time asked for",
    "now": "now: the incident is live (an event in the last 24 hours)",
    "latest": "the incident's latest event (no event in the last 24 hours)",
}
"""Why a report shows its T, in words, after "as of <T>, "."""


def as_of(at: datetime, basis: Basis) -> str:
    """ "as of 6 April 2020 09:00 UTC, the incident's latest event (no event in the last 24
    hours)"."""
    return f"as of {when_text(at)}, {WHY[basis]}"


def incidents(conn: Conn) -> list[Incident]:
    """The incidents with a live event. An exercise run's incident is the run's own."""
    return [Incident(*row) for row in conn.execute(INCIDENTS, {"run": "live"}).fetchall()]


def incident(conn: Conn, name: str) -> Incident:
    """The incident called `name`; UnknownIncident naming the known ones when it has no event."""
    known = incidents(conn)
    for found in known:
        if found.incident == name:
            return found
    raise UnknownIncident(name, [i.incident for i in known])


async def check_incident(conn: psycopg.AsyncConnection[Any], name: str) -> None:
    """`incident` for the gateway: UnknownIncident unless `name` has a live event."""
    cursor = await conn.execute(INCIDENTS, {"run": "live"})
    known = [str(row[0]) for row in await cursor.fetchall()]
    if name not in known:
        raise UnknownIncident(name, known)


def counts(conn: Conn) -> list[IncidentCounts]:
    """Every incident with its events and partners, in the order of `incidents`."""
    counted = {row[0]: row[1:] for row in conn.execute(COUNTS).fetchall()}
    return [IncidentCounts(i, *counted.get(i.incident, (0, 0))) for i in incidents(conn)]
