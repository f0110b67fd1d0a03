"""Agreement status has one rule in Python (`Agreement.status`, which the router applies at
each event's acceptance) and one in SQL (`agreement_status_at` and the view `agreement_status`,
which the partnership dashboard reads): the two agree, around UK midnights and clock changes,
before and after an agreement is made, reviewed and revoked."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.sharing.agreements import Agreement, AgreementStatus, Terms

Conn = psycopg.Connection[Any]

# Days with a UK clock change (29 March and 25 October 2020) and an ordinary one.
DAYS = (date(2020, 3, 29), date(2020, 10, 25), date(2020, 6, 15))
STATUS_AT = "SELECT agreement_status_at(%s, %s, %s, %s, %s)"


def terms(starts: date, review_by: date) -> Terms:
    return Terms("foodbank", "council", ("t",), (), "p", False, starts, review_by)


@st.composite
def cases(draw: st.DrawFn) -> tuple[Agreement, datetime]:
    """An agreement and an instant, all within a few days of a day in `DAYS`."""
    day = draw(st.sampled_from(DAYS))
    base = datetime(day.year, day.month, day.day, tzinfo=UTC)

    def instant() -> datetime:
        # Whole minutes, with an occasional microsecond before or after one.
        minutes = draw(st.integers(-3 * 1440, 3 * 1440))
        nudge = draw(st.sampled_from((0, 0, 1, -1)))
        return base + timedelta(minutes=minutes, microseconds=nudge)

    starts = day + timedelta(days=draw(st.integers(-3, 3)))
    review_by = starts + timedelta(days=draw(st.integers(1, 4)))
    created_at = instant()
    revoked_at = instant() if draw(st.booleans()) else None
    return Agreement("dsa-x", terms(starts, review_by), created_at, revoked_at), instant()


@pytest.fixture
def conn(database_url: str) -> Iterator[Conn]:
    with psycopg.connect(database_url) as connection:
        yield connection


@settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(case=cases())
def test_the_sql_rule_gives_the_python_status(conn: Conn, case: tuple[Agreement, datetime]) -> None:
    agreement, at = case
    t = agreement.terms
    row = conn.execute(
        STATUS_AT, (t.starts, t.review_by, agreement.created_at, agreement.revoked_at, at)
    ).fetchone()
    assert row is not None
    assert row[0] == agreement.status(at).value


def test_the_sql_rule_at_the_edges() -> None:
    # Anchors for the property above, by hand: 1 March 2020 is GMT, 1 September BST.
    a = Agreement(
        "dsa-x",
        terms(date(2020, 3, 1), date(2020, 9, 1)),
        datetime(2020, 2, 1, tzinfo=UTC),
        datetime(2020, 10, 1, 9, tzinfo=UTC),
    )
    assert a.status(datetime(2020, 2, 29, 23, 59, tzinfo=UTC)) is AgreementStatus.scheduled
    assert a.status(datetime(2020, 3, 1, tzinfo=UTC)) is AgreementStatus.in_force
    assert a.status(datetime(2020, 8, 31, 23, tzinfo=UTC)) is AgreementStatus.due_for_review
    assert a.status(datetime(2020, 10, 1, 9, tzinfo=UTC)) is AgreementStatus.revoked


def test_the_view_gives_each_agreement_its_status_now(conn: Conn) -> None:
    conn.execute("INSERT INTO partners (id, name) VALUES ('foodbank', 'f'), ('council', 'c')")
    now = conn.execute("SELECT now()").fetchone()
    assert now is not None
    today = now[0].astimezone(UTC).date()
    made = now[0] - timedelta(days=30)
    rows = {
        # id: starts, review_by, created_at, revoked_at
        "dsa-scheduled": (today + timedelta(days=2), today + timedelta(days=9), made, None),
        "dsa-in-force": (today - timedelta(days=9), today + timedelta(days=9), made, None),
        "dsa-due": (today - timedelta(days=9), today - timedelta(days=1), made, None),
        "dsa-revoked": (today - timedelta(days=9), today + timedelta(days=9), made, now[0]),
        "dsa-revoked-later": (
            today - timedelta(days=9),
            today + timedelta(days=9),
            made,
            now[0] + timedelta(days=1),
        ),
        "dsa-made-later": (today - timedelta(days=9), today + timedelta(days=9), now[0], None),
    }
    for agreement_id, (starts, review_by, created_at, revoked_at) in rows.items():
        conn.execute(
            "INSERT INTO sharing_agreements (id, from_partner, to_partner, types, fields, purpose,"
            " pseudonymise, starts, review_by, created_at)"
            " VALUES (%s, 'foodbank', 'council', '{t}', '{}', 'p', false, %s, %s, %s)",
            (agreement_id, starts, review_by, created_at),
        )
        if revoked_at is not None:
            conn.execute(
                "INSERT INTO sharing_agreement_revocations (agreement_id, revoked_at)"
                " VALUES (%s, %s)",
                (agreement_id, revoked_at),
            )
    found = dict(conn.execute("SELECT id, status FROM agreement_status").fetchall())
    expected = {
        agreement_id: Agreement(agreement_id, terms(s, r), c, v).status(now[0]).value
        for agreement_id, (s, r, c, v) in rows.items()
    }
    assert found == expected
    assert set(found.values()) == {s.value for s in AgreementStatus}
