"""Referral state and what a referral entitles, from a request's lifecycle in any order."""

from __future__ import annotations

import itertools
from typing import Any

from services.sharing.referrals import entitlements, referral_standing, request_of
from tests.test_sharing_decide import (
    AGE_UK,
    COUNCIL,
    FOODBANK,
    MUTUAL_AID,
    request_event,
    stock_event,
)

RAISED = request_event("raised", "e-1", FOODBANK, 0)
TRIAGED = request_event("triaged", "e-2", FOODBANK, 2, priority="high", need="food")
TO_MUTUAL_AID = request_event("referred", "e-3", FOODBANK, 5, to_partner=MUTUAL_AID)
ACCEPTED = request_event("accepted", "e-4", MUTUAL_AID, 8)
FULFILLED = request_event("fulfilled", "e-5", MUTUAL_AID, 60, volunteer_minutes=30)


def received(lifecycle: list[dict[str, Any]]) -> dict[str, list[str]]:
    """recipient → ids of the events the referrals entitle it to."""
    out: dict[str, list[str]] = {}
    for granted in entitlements(lifecycle):
        out.setdefault(granted.recipient, []).append(granted.event["id"])
    return out


def test_no_referral_no_one() -> None:
    assert referral_standing([RAISED, TRIAGED]) is None
    assert entitlements([RAISED, TRIAGED]) == []


def test_a_referral_shares_the_earlier_events_and_what_follows() -> None:
    lifecycle = [RAISED, TRIAGED, TO_MUTUAL_AID]
    standing = referral_standing(lifecycle)
    assert standing is not None
    assert (standing.by, standing.to, standing.id) == (FOODBANK, MUTUAL_AID, "e-3")
    assert received(lifecycle) == {MUTUAL_AID: ["e-1", "e-2", "e-3"]}
    later = request_event("triaged", "e-9", FOODBANK, 20, priority="urgent", need="food")
    assert received([*lifecycle, ACCEPTED, later]) == {MUTUAL_AID: ["e-1", "e-2", "e-3", "e-9"]}


def test_closing_ends_the_referral_after_the_closing_event() -> None:
    after = request_event("triaged", "e-6", FOODBANK, 90, priority="routine", need="food")
    lifecycle = [RAISED, TO_MUTUAL_AID, ACCEPTED, FULFILLED, after]
    assert referral_standing(lifecycle) is None
    # The fulfilled is mutual-aid's own, so it has nothing of its own back; a cancellation by
    # the foodbank would reach it.
    assert received(lifecycle) == {MUTUAL_AID: ["e-1", "e-3"]}
    cancelled = request_event("cancelled", "e-7", FOODBANK, 30, reason="withdrawn")
    assert received([RAISED, TO_MUTUAL_AID, cancelled, after]) == {
        MUTUAL_AID: ["e-1", "e-3", "e-7"]
    }


def test_referring_elsewhere_stops_the_first_partner_and_starts_the_next() -> None:
    declined = request_event("declined", "e-4", MUTUAL_AID, 8, reason="no_capacity")
    to_age_uk = request_event("referred", "e-6", FOODBANK, 10, to_partner=AGE_UK)
    accepted = request_event("accepted", "e-7", AGE_UK, 12)
    lifecycle = [RAISED, TO_MUTUAL_AID, declined, to_age_uk, accepted]
    standing = referral_standing(lifecycle)
    assert standing is not None and standing.to == AGE_UK
    assert received(lifecycle) == {
        # mutual-aid learns it was passed on (e-6), and nothing after.
        MUTUAL_AID: ["e-1", "e-3", "e-6"],
        AGE_UK: ["e-1", "e-3", "e-4", "e-6"],
    }


def test_the_partner_referred_to_may_refer_it_on() -> None:
    onward = request_event("referred", "e-6", MUTUAL_AID, 10, to_partner=COUNCIL)
    lifecycle = [RAISED, TO_MUTUAL_AID, ACCEPTED, onward]
    standing = referral_standing(lifecycle)
    assert standing is not None and (standing.by, standing.to) == (MUTUAL_AID, COUNCIL)
    assert received(lifecycle)[COUNCIL] == ["e-1", "e-3", "e-4", "e-6"]


def test_a_partner_without_the_request_cannot_refer_it_to_itself() -> None:
    grab = request_event("referred", "e-6", AGE_UK, 10, to_partner=AGE_UK)
    grab_for_other = request_event("referred", "e-7", COUNCIL, 11, to_partner=AGE_UK)
    lifecycle = [RAISED, TO_MUTUAL_AID, grab, grab_for_other]
    standing = referral_standing(lifecycle)
    assert standing is not None and standing.to == MUTUAL_AID
    assert AGE_UK not in received(lifecycle)


def test_referring_again_to_the_same_partner_keeps_the_first_referral() -> None:
    again = request_event("referred", "e-6", FOODBANK, 10, to_partner=MUTUAL_AID)
    standing = referral_standing([RAISED, TO_MUTUAL_AID, again])
    assert standing is not None and standing.id == "e-3"


def test_a_referral_after_closing_opens_a_new_one() -> None:
    again = request_event("referred", "e-6", FOODBANK, 70, to_partner=AGE_UK)
    lifecycle = [RAISED, TO_MUTUAL_AID, FULFILLED, again]
    standing = referral_standing(lifecycle)
    assert standing is not None and standing.to == AGE_UK
    assert received(lifecycle)[AGE_UK] == ["e-1", "e-3", "e-5", "e-6"]


def test_any_arrival_order_gives_the_same_answer() -> None:
    declined = request_event("declined", "e-4", MUTUAL_AID, 8, reason="no_capacity")
    to_age_uk = request_event("referred", "e-6", FOODBANK, 10, to_partner=AGE_UK)
    lifecycle = [RAISED, TRIAGED, TO_MUTUAL_AID, declined, to_age_uk]
    expected = received(lifecycle)
    for order in itertools.permutations(lifecycle):
        assert received(list(order)) == expected
        assert referral_standing(order) == referral_standing(lifecycle)


def test_ties_in_time_follow_the_lifecycle_order() -> None:
    # A referral and a cancellation at the same instant: cancelled comes after referred.
    referral = request_event("referred", "e-3", FOODBANK, 5, to_partner=MUTUAL_AID)
    cancelled = request_event("cancelled", "e-4", FOODBANK, 5, reason="duplicate")
    assert referral_standing([cancelled, referral, RAISED]) is None
    assert received([cancelled, referral, RAISED]) == {MUTUAL_AID: ["e-1", "e-3", "e-4"]}


def test_the_request_of_an_event() -> None:
    assert request_of(RAISED) == ("covid-2020", "req-1")
    assert request_of(stock_event("s-1", FOODBANK)) is None
