"""Sharing kept in a real PostgreSQL: agreements and their history, inboxes, audit, referrals."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

import orjson
import psycopg
import pytest

from services.sharing.agreements import UK, Terms, start_of_day
from services.sharing.audit import audit
from services.sharing.store import (
    AgreementError,
    add_agreement,
    agreements,
    read_inbox,
    revoke_agreement,
    share_batch,
    sharing_key,
)
from tests.support.sharing_events import (
    AGE_UK,
    COUNCIL,
    FOODBANK,
    MUTUAL_AID,
    RAISED,
    accept,
    register,
    request_event,
    stock_event,
)

Conn = psycopg.Connection[Any]

TERMS = Terms(
    FOODBANK,
    COUNCIL,
    (RAISED,),
    ("request_id", "need", "area"),
    "plan food deliveries",
    True,
    date(2020, 3, 1),
    date(2020, 9, 1),
)


@pytest.fixture
def conn(database_url: str) -> Iterator[Conn]:
    with psycopg.connect(database_url) as connection:
        register(connection, FOODBANK, COUNCIL, MUTUAL_AID, AGE_UK)
        yield connection


def inbox_ids(conn: Conn, recipient: str) -> list[str]:
    return [entry.event["id"] for entry in read_inbox(conn, recipient)]


def test_the_pseudonym_key_is_made_once_and_kept(conn: Conn, database_url: str) -> None:
    key = sharing_key(conn)
    conn.commit()
    assert len(key) == 32 and sharing_key(conn) == key
    with psycopg.connect(database_url) as other:
        assert sharing_key(other) == key
        with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
            other.execute("UPDATE sharing_private.sharing_secret SET key = %s", (bytes(32),))


def test_agreements_keep_their_history(conn: Conn) -> None:
    made = add_agreement(conn, TERMS)
    assert made.terms == TERMS and made.revoked_at is None
    assert made.id.startswith("dsa-")
    revoked = revoke_agreement(conn, made.id)
    assert revoked.revoked_at is not None and revoked.terms == TERMS
    assert agreements(conn) == [revoked]
    with pytest.raises(AgreementError, match="was revoked at"):
        revoke_agreement(conn, made.id)
    with pytest.raises(AgreementError, match="no agreement 'dsa-none'"):
        revoke_agreement(conn, "dsa-none")
    for change in ("UPDATE sharing_agreements SET purpose = 'x'", "DELETE FROM sharing_agreements"):
        with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
            conn.execute(change)
        conn.rollback()
    with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
        conn.execute("DELETE FROM sharing_agreement_revocations")
    conn.rollback()
    # Revoked, the flow can be agreed again: a new agreement beside the old one.
    again = add_agreement(conn, replace(TERMS, fields=("request_id",)))
    assert [a.id for a in agreements(conn)] == [made.id, again.id]


def test_terms_are_checked_against_the_partners_and_other_agreements(conn: Conn) -> None:
    with pytest.raises(AgreementError, match="no partner 'nobody'"):
        add_agreement(conn, replace(TERMS, to_partner="nobody"))
    first = add_agreement(conn, TERMS)
    overlapping = replace(TERMS, types=(RAISED, "resilience.request.triaged.v1"))
    with pytest.raises(AgreementError, match=f"agreement {first.id} already shares"):
        add_agreement(conn, overlapping)
    other_way = add_agreement(conn, replace(TERMS, from_partner=COUNCIL, to_partner=FOODBANK))
    assert {a.id for a in agreements(conn)} == {first.id, other_way.id}


def test_shares_go_to_the_inbox_and_the_audit_once(conn: Conn) -> None:
    made = add_agreement(conn, TERMS)
    conn.commit()
    raised = request_event("raised", "e-1", FOODBANK, 0)
    # The council's own request (another partner may not raise the foodbank's req-1).
    council = request_event("raised", "e-1", COUNCIL, 0, request_id="req-c")
    batch = [raised, stock_event("s-1", FOODBANK), council]
    entries = share_batch(conn, accept(conn, batch))
    conn.commit()
    (entry,) = entries
    assert entry.recipient == COUNCIL and entry.event["id"] == "e-1"
    assert set(entry.event["data"]) == {"request_id", "need", "area", "person_ref"}
    assert read_inbox(conn, COUNCIL) == entries
    # Processing the same events again, even as JSON bytes, shares nothing twice.
    assert share_batch(conn, [orjson.dumps(e) for e in batch]) == []
    assert share_batch(conn, batch) == []
    conn.commit()
    assert inbox_ids(conn, COUNCIL) == ["e-1"]
    (shared,) = audit(conn, FOODBANK)
    assert (shared.recipient, shared.id, shared.agreement_id) == (COUNCIL, "e-1", made.id)
    assert shared.purpose == TERMS.purpose and shared.request_id == "req-1"
    with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
        conn.execute("DELETE FROM sharing_audit")


def test_pseudonyms_hold_across_batches_and_differ_between_recipients(conn: Conn) -> None:
    add_agreement(conn, TERMS)
    add_agreement(conn, replace(TERMS, to_partner=AGE_UK))
    share_batch(conn, accept(conn, [request_event("raised", "e-1", FOODBANK, 0)]))
    share_batch(conn, accept(conn, [request_event("raised", "e-2", FOODBANK, 5, request_id="r-2")]))
    conn.commit()
    council = {e.event["data"]["person_ref"] for e in read_inbox(conn, COUNCIL)}
    age_uk = {e.event["data"]["person_ref"] for e in read_inbox(conn, AGE_UK)}
    assert len(council) == 1 and len(age_uk) == 1 and council != age_uk


def test_an_agreement_covers_the_events_accepted_while_it_is_in_force(conn: Conn) -> None:
    before = accept(conn, [request_event("raised", "e-1", FOODBANK, 0)])
    conn.commit()
    made = add_agreement(conn, TERMS)
    during = accept(conn, [request_event("raised", "e-2", FOODBANK, 1, request_id="r-2")])
    conn.commit()
    revoked_at = revoke_agreement(conn, made.id).revoked_at
    assert revoked_at is not None
    after = accept(conn, [request_event("raised", "e-3", FOODBANK, 2, request_id="r-3")])
    conn.commit()
    # Processed only now, after the revocation: the one accepted while in force still goes.
    assert [e.event["id"] for e in share_batch(conn, before + during + after)] == ["e-2"]
    conn.commit()
    # Read again from the start (a lost broker log, a new router): nothing changes.
    assert share_batch(conn, before + during + after) == []
    for event in before + during + after:
        assert share_batch(conn, [event]) == []
    assert inbox_ids(conn, COUNCIL) == ["e-2"]


def test_an_agreement_added_later_is_not_applied_to_events_read_again(conn: Conn) -> None:
    earlier = accept(
        conn,
        [request_event("raised", f"e-{n}", FOODBANK, n, request_id=f"r-{n}") for n in range(3)],
    )
    conn.commit()
    assert share_batch(conn, earlier) == []
    conn.commit()
    add_agreement(conn, TERMS)
    later = accept(conn, [request_event("raised", "e-9", FOODBANK, 9, request_id="r-9")])
    conn.commit()
    # The router reads everything again from offset 0, in one batch and then event by event.
    assert [e.event["id"] for e in share_batch(conn, earlier + later)] == ["e-9"]
    for event in earlier + later:
        assert share_batch(conn, [event]) == []
    conn.commit()
    assert inbox_ids(conn, COUNCIL) == ["e-9"]


def test_an_agreement_starts_on_its_day_in_uk_time_of_acceptance(conn: Conn) -> None:
    starts = datetime.now(UK).date() + timedelta(days=2)
    add_agreement(conn, replace(TERMS, starts=starts, review_by=starts + timedelta(days=90)))
    conn.commit()
    first_moment = start_of_day(starts)
    assert first_moment.utcoffset() in (timedelta(0), timedelta(hours=1))
    events = [request_event("raised", f"e-{n}", FOODBANK, n, request_id=f"r-{n}") for n in range(3)]
    accept(conn, events[:1])  # now: scheduled
    accept(conn, events[1:2], at=first_moment - timedelta(microseconds=1))
    accept(conn, events[2:], at=first_moment)
    assert [e.event["id"] for e in share_batch(conn, events)] == ["e-2"]


def test_a_referral_shares_the_lifecycle_across_batches(conn: Conn) -> None:
    def share(event: dict[str, Any]) -> list[str]:
        return [e.event["id"] for e in share_batch(conn, accept(conn, [event]))]

    # Nothing is shared before the referral; the referral brings the raised along.
    assert share(request_event("raised", "e-1", FOODBANK, 0)) == []
    assert share(request_event("referred", "e-2", FOODBANK, 5, to_partner=MUTUAL_AID)) == [
        "e-1",
        "e-2",
    ]
    share(request_event("accepted", "e-3", MUTUAL_AID, 7))
    share(request_event("triaged", "e-4", FOODBANK, 9, priority="high", need="food"))
    assert inbox_ids(conn, MUTUAL_AID) == ["e-1", "e-2", "e-4"]
    (raised,) = [e for e in read_inbox(conn, MUTUAL_AID) if e.event["id"] == "e-1"]
    assert raised.event["data"]["household_size"] == 3
    assert raised.event["data"]["person_ref"].startswith("pp-")

    # Referred on: mutual-aid stays involved and keeps hearing, age-uk hears from the start.
    share(request_event("referred", "e-5", FOODBANK, 20, to_partner=AGE_UK))
    share(request_event("fulfilled", "e-6", AGE_UK, 40))
    assert inbox_ids(conn, MUTUAL_AID) == ["e-1", "e-2", "e-4", "e-5", "e-6"]
    assert inbox_ids(conn, AGE_UK) == ["e-1", "e-2", "e-3", "e-4", "e-5"]
    # Closed: what is accepted after the closing still reaches the involved, whatever its
    # event time.
    share(request_event("triaged", "e-7", FOODBANK, 50, priority="routine", need="food"))
    share(request_event("triaged", "e-8", FOODBANK, 30, priority="urgent", need="food"))
    assert inbox_ids(conn, AGE_UK) == ["e-1", "e-2", "e-3", "e-4", "e-5", "e-7", "e-8"]
    # The owner hears by referral only when referred back: age-uk's fulfilled is not its.
    assert [e.event["id"] for e in read_inbox(conn, FOODBANK)] == []


def test_a_referral_shares_the_history_then_all_accepted_after(conn: Conn) -> None:
    history = accept(
        conn,
        [
            request_event("raised", "e-1", FOODBANK, 0),
            request_event("triaged", "e-2", FOODBANK, 3, priority="high", need="food"),
        ],
    )
    referral = accept(conn, [request_event("referred", "e-3", FOODBANK, 5, to_partner=MUTUAL_AID)])
    conn.commit()
    # A late event with an earlier event time, accepted after the referral: it goes as one of
    # the request's events accepted after it, as does one accepted after the request closed.
    late = accept(
        conn, [request_event("triaged", "e-4", FOODBANK, 1, priority="urgent", need="food")]
    )
    cancelled = accept(conn, [request_event("cancelled", "e-5", FOODBANK, 9, reason="withdrawn")])
    after_closing = accept(
        conn, [request_event("triaged", "e-6", FOODBANK, 7, priority="routine", need="food")]
    )
    conn.commit()
    assert share_batch(conn, history) == []
    assert [e.event["id"] for e in share_batch(conn, referral)] == ["e-1", "e-2", "e-3"]
    share_batch(conn, late + cancelled + after_closing)
    conn.commit()
    expected = ["e-1", "e-2", "e-3", "e-4", "e-5", "e-6"]
    assert inbox_ids(conn, MUTUAL_AID) == expected
    # Read again from the start, in any batches: the same.
    everything = history + referral + late + cancelled + after_closing
    for event in reversed(everything):
        assert share_batch(conn, [event]) == []
    assert inbox_ids(conn, MUTUAL_AID) == expected


def test_a_referral_to_an_unregistered_partner_shares_nothing(conn: Conn) -> None:
    raised = request_event("raised", "e-1", FOODBANK, 0)
    referral = request_event("referred", "e-2", FOODBANK, 5, to_partner="not-a-partner")
    assert share_batch(conn, accept(conn, [raised, referral])) == []
    assert audit(conn, FOODBANK) == []


def test_the_audit_answers_for_every_share_and_its_basis(conn: Conn) -> None:
    made = add_agreement(conn, TERMS)
    first = [request_event("raised", "e-1", FOODBANK, 0), stock_event("s-1", FOODBANK)]
    other_request = [
        request_event("raised", "e-3", FOODBANK, 1, request_id="req-2"),
        request_event("referred", "e-4", FOODBANK, 2, request_id="req-2", to_partner=MUTUAL_AID),
        request_event("accepted", "e-5", MUTUAL_AID, 3, request_id="req-2"),
    ]
    entries = share_batch(conn, accept(conn, first)) + share_batch(
        conn, accept(conn, other_request)
    )
    conn.commit()

    shares = audit(conn, FOODBANK)
    assert {(s.recipient, s.source, s.id) for s in shares} == {
        (e.recipient, e.event["source"], e.event["id"])
        for e in entries
        if e.event["partner"] == FOODBANK
    }
    by_key = {(s.recipient, s.id): s for s in shares}
    assert set(by_key) == {
        (COUNCIL, "e-1"),
        (COUNCIL, "e-3"),
        (MUTUAL_AID, "e-3"),
        (MUTUAL_AID, "e-4"),
    }
    assert by_key[COUNCIL, "e-3"].agreement_id == made.id
    referred = by_key[MUTUAL_AID, "e-3"]
    assert referred.agreement_id is None and referred.purpose is None
    assert (referred.referral_id, referred.referred_by) == ("e-4", FOODBANK)
    assert sorted(s.id for s in audit(conn, FOODBANK, "req-2")) == ["e-3", "e-3", "e-4"]
    assert audit(conn, FOODBANK, "req-9") == []
    # mutual-aid's own event went nowhere: nobody holds an agreement or referral for it.
    assert audit(conn, MUTUAL_AID) == []


def test_the_feed_resumes_after_a_cursor(conn: Conn) -> None:
    add_agreement(conn, TERMS)
    events = [
        request_event("raised", f"e-{n}", FOODBANK, n, request_id=f"req-{n}") for n in range(5)
    ]
    share_batch(conn, accept(conn, events[:3]))
    conn.commit()
    first = read_inbox(conn, COUNCIL, limit=2)
    assert [e.event["id"] for e in first] == ["e-0", "e-1"]
    share_batch(conn, accept(conn, events[3:]))
    conn.commit()
    rest = read_inbox(conn, COUNCIL, after=first[-1].seq)
    assert [e.event["id"] for e in rest] == ["e-2", "e-3", "e-4"]
    assert read_inbox(conn, AGE_UK) == []
