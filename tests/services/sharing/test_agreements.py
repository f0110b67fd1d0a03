"""Agreement terms checked, and an agreement's status through time."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from services.sharing.agreements import AgreementStatus, Terms, problems_with, subject_fields
from tests.support.sharing_events import COUNCIL, FOODBANK, RAISED, agreement

PARTNERS = {FOODBANK, COUNCIL}
GOOD = Terms(
    FOODBANK,
    COUNCIL,
    (RAISED, "resilience.request.fulfilled.v1"),
    ("request_id", "need", "volunteer_minutes"),
    "plan food deliveries",
    True,
    date(2020, 3, 23),
    date(2020, 6, 30),
)


def test_good_terms_have_no_problems() -> None:
    assert problems_with(GOOD, PARTNERS) == []


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"to_partner": "nobody"}, "no partner 'nobody'"),
        ({"to_partner": FOODBANK}, "two different partners"),
        ({"types": ()}, "at least one event type"),
        ({"types": ("resilience.request.raised.v2",)}, "unknown event type"),
        ({"fields": ("request_id", "nedd")}, "'nedd' is not a data field"),
        ({"fields": ("request_id", "person_ref")}, "only shared as a pseudonym"),
        ({"fields": ("need",)}, "must include request_id"),
        ({"types": ("resilience.request.fulfilled.v1",), "fields": ("request_id",)}, "none of"),
        ({"purpose": "  "}, "purpose"),
        ({"purpose": "one\ntwo"}, "purpose"),
        ({"review_by": date(2020, 3, 23)}, "must be after the start date"),
    ],
)
def test_bad_terms_are_refused_with_the_reason(change: dict[str, object], problem: str) -> None:
    problems = problems_with(replace(GOOD, **change), PARTNERS)  # type: ignore[arg-type]
    assert any(problem in p for p in problems), problems


def test_every_subject_field_of_a_type_is_required() -> None:
    assert subject_fields("resilience.volunteer.deployed.v1") == ("deployment_id", "volunteer_id")
    assert subject_fields("resilience.partner.capacity.v1") == ()
    terms = replace(
        GOOD, types=("resilience.partner.capacity.v1",), fields=("need",), pseudonymise=False
    )
    assert problems_with(terms, PARTNERS) == []


def test_status_through_time() -> None:
    made = datetime(2020, 3, 1, 9, tzinfo=UTC)
    revoked = datetime(2020, 10, 1, 9, tzinfo=UTC)
    a = agreement(created_at=made, revoked_at=revoked)  # starts 2020-03-01, review by 2020-09-01
    assert a.status(made - timedelta(seconds=1)) is AgreementStatus.scheduled
    assert a.status(made) is AgreementStatus.in_force
    # Review day in UK time: 23:30 UTC on 31 August is already 1 September in London (BST).
    assert a.status(datetime(2020, 8, 31, 22, 59, tzinfo=UTC)) is AgreementStatus.in_force
    assert a.status(datetime(2020, 8, 31, 23, 30, tzinfo=UTC)) is AgreementStatus.due_for_review
    assert a.in_force(revoked - timedelta(microseconds=1))
    assert a.status(revoked) is AgreementStatus.revoked and not a.in_force(revoked)


def test_an_agreement_starts_at_the_start_of_its_day_in_the_uk() -> None:
    a = agreement(created_at=datetime(2020, 1, 1, tzinfo=UTC))
    # 1 March 2020 is GMT: midnight in London is midnight UTC.
    assert not a.in_force(datetime(2020, 2, 29, 23, 59, tzinfo=UTC))
    assert a.in_force(datetime(2020, 3, 1, 0, 0, tzinfo=UTC))
