"""When sitrep editions issue themselves: local times of day in a time zone, per incident.

The rule is `slots`, a pure function: the instants, in UTC, at which the local times fall
between two instants, worked out per local day with zoneinfo, so that 09:00 Europe/London is
08:00Z in summer and 09:00Z in winter. A local time the clock skips (01:30 on the spring
change) is issued at the instant it maps to with the winter offset, an hour later by the
clock; a local time the clock passes twice (01:30 on the autumn change) is issued at its first.

Each edition records the slot it was issued for (unique per incident, checked under the
issuing lock), and each schedule the latest slot issued (`issued_through`), moved once the
edition is committed: a stopped or restarted issuer neither issues a slot twice (a stop between
the two finds the slot's edition and only moves `issued_through`) nor skips one — on starting it
issues every slot since, oldest first, each as of its own time.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import psycopg

from services.figures.editions import Edition, issue
from services.figures.incidents import UnknownIncident, default_at, incident

Conn = psycopg.Connection[Any]

ISSUED_BY = "schedule"


@dataclass(frozen=True)
class Schedule:
    incident: str
    times: tuple[time, ...]
    zone: str
    issued_through: datetime


def parse_times(text: str) -> tuple[time, ...]:
    """`09:00,17:00` → the local times, sorted, each once; ValueError saying why not."""
    found = set()
    for part in text.split(","):
        try:
            found.add(time.fromisoformat(part.strip()))
        except ValueError:
            raise ValueError(f"{part.strip()!r} is not a time of day such as 09:00") from None
    return tuple(sorted(found))


def zone_of(name: str) -> ZoneInfo:
    """The IANA time zone `name` (`Europe/London`); ValueError when there is none."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{name!r} is not a time zone such as Europe/London") from None


def slots(times: Sequence[time], zone: str, after: datetime, upto: datetime) -> list[datetime]:
    """The instants (UTC) at which `times` fall in `zone`, after `after` and up to `upto`."""
    tz = zone_of(zone)
    first = after.astimezone(tz).date() - timedelta(days=1)
    last = upto.astimezone(tz).date() + timedelta(days=1)
    found = {
        datetime.combine(day, at, tzinfo=tz).astimezone(UTC)
        for day in days(first, last)
        for at in times
    }
    return sorted(s for s in found if after < s <= upto)


def next_slot(times: Sequence[time], zone: str, after: datetime) -> datetime:
    """The first instant after `after` at which one of `times` falls in `zone`."""
    return slots(times, zone, after, after + timedelta(days=3))[0]


def days(first: date, last: date) -> Iterable[date]:
    return (first + timedelta(days=n) for n in range((last - first).days + 1))


def add(conn: Conn, incident_name: str, times: Sequence[time], zone: str, now: datetime) -> None:
    """Schedule `incident_name`'s editions from `now` on (replacing its schedule); an unknown
    incident is refused (UnknownIncident)."""
    zone_of(zone)
    incident(conn, incident_name)
    conn.execute(
        "INSERT INTO sitrep_schedules (incident, times, zone, created_at, issued_through)"
        " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (incident) DO UPDATE"
        " SET times = excluded.times, zone = excluded.zone, created_at = excluded.created_at,"
        " issued_through = excluded.issued_through",
        (incident_name, list(times), zone, now, now),
    )
    conn.commit()


def remove(conn: Conn, incident_name: str) -> bool:
    """Stop scheduling `incident_name`'s editions; False when none was scheduled."""
    removed = conn.execute(
        "DELETE FROM sitrep_schedules WHERE incident = %s", (incident_name,)
    ).rowcount
    conn.commit()
    return removed > 0


def schedules(conn: Conn) -> list[Schedule]:
    rows = conn.execute(
        "SELECT incident, times, zone, issued_through FROM sitrep_schedules"
        ' ORDER BY incident COLLATE "C"'
    ).fetchall()
    conn.commit()
    return [Schedule(name, tuple(times), zone, through) for name, times, zone, through in rows]


def issue_due(conn: Conn, now: datetime) -> list[Edition]:
    """Issue every scheduled edition due by `now` and not yet issued, oldest first. T is the
    slot's own, by the rule of `default_at` with the slot as now (a past incident's editions
    are as of its latest event)."""
    issued = []
    for schedule in schedules(conn):
        for slot in slots(schedule.times, schedule.zone, schedule.issued_through, now):
            try:
                found = incident(conn, schedule.incident)
            except UnknownIncident:
                break  # its events are gone (a reset database): nothing to report
            at, _ = default_at(found, slot)
            edition = issue(conn, schedule.incident, at, ISSUED_BY, now, slot=slot)  # commits
            conn.execute(
                "UPDATE sitrep_schedules SET issued_through = %s"
                " WHERE incident = %s AND issued_through < %s",
                (slot, schedule.incident, slot),
            )
            conn.commit()
            if edition is not None:
                issued.append(edition)
    return issued


def seconds_to_next(conn: Conn, now: datetime) -> float | None:
    """How long until the next slot of any schedule; None with no schedule."""
    upcoming = [next_slot(s.times, s.zone, max(now, s.issued_through)) for s in schedules(conn)]
    if not upcoming:
        return None
    return (min(upcoming) - now).total_seconds()
