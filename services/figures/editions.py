"""Sitrep editions: the situation report as issued at a time, kept as it was.

An edition is numbered per incident (1, 2, …) and holds the whole sitrep at its T as it read
when issued, so events that arrive late never rewrite it. Each edition also stores its changes
since the edition before, and, when late events have since changed that edition's figures, what
it would read now (`late`): a reader of edition 7 learns that edition 6 understated the open
requests.

Issuing takes an advisory lock per incident: two issuers at once take turns, so numbers are
never given twice nor skipped, and each edition's changes are against the one truly before it.
The primary key (incident, number) would refuse a duplicate regardless. Under the lock, the
edition is read and written in one repeatable-read snapshot, so that its figures, like the
sitrep's own, agree with each other while the aggregator keeps writing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import psycopg
from psycopg.types.json import Jsonb
from pydantic import field_serializer

from services.figures.changes import (
    Change,
    changes,
    changes_from_json,
    changes_json,
    label,
    largest,
    shown,
)
from services.figures.incidents import when_text
from services.figures.model import Figures
from services.figures.sitrep import Sitrep, rfc3339_utc, sitrep

Conn = psycopg.Connection[Any]

SNAPSHOT = "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"

EDITIONS_LOCK = 0x5E7D
"""The first key of the per-incident advisory lock (the second is the incident's hash)."""


class Late(Figures):
    """What an earlier edition would read now that late events have been counted."""

    edition: int
    at: datetime
    changes: dict[str, Change]
    """As issued (`then`) against as recomputed now at its T (`now`)."""

    @field_serializer("at", when_used="json")
    def _rfc3339_utc(self, at: datetime) -> str:
        return rfc3339_utc(at)

    def words(self, most: int = 3) -> str:
        """`edition 6 would now read Open requests 151 (142 as issued, +9 from late events), …`:
        the `most` figures that changed most, and how many others did."""
        shown_paths = largest(self.changes, most)
        read = ", ".join(
            f"{label(path)} {shown(c.now)} ({shown(c.then)} as issued"
            + (f", {c.change:+,} from late events)" if c.change is not None else ")")
            for path, c in ((path, self.changes[path]) for path in shown_paths)
        )
        others = len(self.changes) - len(shown_paths)
        more = (
            f" and {others} other {'figure' if others == 1 else 'figures'} changed"
            if others
            else ""
        )
        return f"edition {self.edition} would now read: {read}{more}"


class EditionLine(Figures):
    """An edition without its figures: what the list of editions shows."""

    incident: str
    number: int
    at: datetime
    issued_at: datetime
    issued_by: str

    @field_serializer("at", "issued_at", when_used="json")
    def _rfc3339_utc(self, at: datetime) -> str:
        return rfc3339_utc(at)

    def since(self) -> str:
        """How a change refers to it: `edition 6, 10 March 2024 09:00 UTC`."""
        return f"edition {self.number}, {when_text(self.at)}"


class Edition(EditionLine):
    figures: Sitrep
    previous: int | None
    """The edition its changes are since; null for the first."""
    changes: dict[str, Change]
    late: Late | None


class UnknownEdition(LookupError):
    """An edition asked for that was never issued; the message says which there are."""

    def __init__(self, incident: str, number: int, issued: list[int]) -> None:
        there = f"its editions are 1 to {max(issued)}" if issued else "it has no edition yet"
        super().__init__(f"no edition {number} of {incident}: {there}")


COLUMNS = "incident, number, at, issued_at, issued_by, figures, changes, late"


def issue(
    conn: Conn,
    incident: str,
    at: datetime,
    issued_by: str,
    issued_at: datetime,
    slot: datetime | None = None,
) -> Edition | None:
    """Issue the next edition of `incident` at T `at` and commit it (with whatever the
    connection had open); for a scheduled `slot`, None when that slot was issued already."""
    key = (EDITIONS_LOCK, incident)
    conn.execute("SELECT pg_advisory_lock(%s, hashtext(%s))", key)
    conn.commit()
    try:
        # The snapshot is taken after the lock is held, so it sees the edition issued before.
        with conn.transaction():
            conn.execute(SNAPSHOT)
            return next_edition(conn, incident, at, issued_by, issued_at, slot)
    finally:
        conn.execute("SELECT pg_advisory_unlock(%s, hashtext(%s))", key)
        conn.commit()


def next_edition(
    conn: Conn,
    incident: str,
    at: datetime,
    issued_by: str,
    issued_at: datetime,
    slot: datetime | None,
) -> Edition | None:
    """`issue`'s work, under its lock and in its snapshot."""
    if (
        slot is not None
        and conn.execute(
            "SELECT FROM sitrep_editions WHERE incident = %s AND slot = %s", (incident, slot)
        ).fetchone()
    ):
        return None
    before = latest(conn, incident)
    report = sitrep(conn, incident, at)
    late = None
    if before is not None:
        drift = changes(sitrep(conn, incident, before.at), before.figures)
        late = Late(edition=before.number, at=before.at, changes=drift) if drift else None
    edition = Edition(
        incident=incident,
        number=1 if before is None else before.number + 1,
        at=report.at,
        issued_at=issued_at,
        issued_by=issued_by,
        figures=report,
        previous=None if before is None else before.number,
        changes={} if before is None else changes(report, before.figures),
        late=late,
    )
    conn.execute(
        "INSERT INTO sitrep_editions (incident, number, at, issued_at, issued_by, figures,"
        " changes, late, slot) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
        (
            incident,
            edition.number,
            edition.at,
            issued_at,
            issued_by,
            Jsonb(report.model_dump(mode="json")),
            Jsonb(changes_json(edition.changes)),
            None if late is None else Jsonb(late.model_dump(mode="json")),
            slot,
        ),
    )
    return edition


def editions(conn: Conn, incident: str) -> list[EditionLine]:
    """Every edition of `incident`, in order."""
    rows = conn.execute(
        "SELECT incident, number, at, issued_at, issued_by FROM sitrep_editions"
        " WHERE incident = %s ORDER BY number",
        (incident,),
    ).fetchall()
    return [
        EditionLine(incident=i, number=n, at=at, issued_at=issued, issued_by=by)
        for i, n, at, issued, by in rows
    ]


def edition(conn: Conn, incident: str, number: int) -> Edition:
    """Edition `number` of `incident`; UnknownEdition saying which there are."""
    row = conn.execute(
        f"SELECT {COLUMNS} FROM sitrep_editions WHERE incident = %s AND number = %s",
        (incident, number),
    ).fetchone()
    if row is None:
        raise UnknownEdition(incident, number, [line.number for line in editions(conn, incident)])
    return from_row(row)


def latest(conn: Conn, incident: str) -> Edition | None:
    row = conn.execute(
        f"SELECT {COLUMNS} FROM sitrep_editions WHERE incident = %s ORDER BY number DESC LIMIT 1",
        (incident,),
    ).fetchone()
    return None if row is None else from_row(row)


def latest_editions(conn: Conn) -> dict[str, Edition]:
    """The latest edition of each incident that has one."""
    rows = conn.execute(
        f"SELECT DISTINCT ON (incident) {COLUMNS} FROM sitrep_editions"
        " ORDER BY incident, number DESC"
    ).fetchall()
    return {row[0]: from_row(row) for row in rows}


def from_row(row: tuple[Any, ...]) -> Edition:
    incident, number, at, issued_at, issued_by, figures, found, late = row
    return Edition(
        incident=incident,
        number=number,
        at=at,
        issued_at=issued_at,
        issued_by=issued_by,
        figures=Sitrep.model_validate(figures),
        previous=number - 1 if number > 1 else None,
        changes=changes_from_json(found),
        late=None if late is None else Late.model_validate(late),
    )
