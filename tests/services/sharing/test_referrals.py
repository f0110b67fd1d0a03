"""Who is involved in a request by referral, and what that entitles them to, from a request's
lifecycle in the order the store accepted it."""

from __future__ import annotations

import itertools
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from services.sharing.accepted import Accepted
from services.sharing.referrals import Referral, entitlements, involvement, request_of
from tests.support.sharing_events import (
    AGE_UK,
    COUNCIL,
    FOODBANK,
    MUTUAL_AID,
    in_order,
    request_event,
    stock_event,
)

RAISED = request_event("raised", "e-1", FOODBANK, 0)
TRIAGED = request_event("triaged", "e-2", FOODBANK, 2, priority="high", need="food")
TO_MUTUAL_AID = request_event("referred", "e-3", FOODBANK, 5, to_partner=MUTUAL_AID)
ACCEPTED = request_event("accepted", "e-4", MUTUAL_AID, 8)
FULFILLED = request_event("fulfilled", "e-5", MUTUAL_AID, 60, volunteer_minutes=30)


def received(lifecycle: list[dict[str, Any]]) -> dict[str, list[str]]:
    """recipient → ids of the events the referrals entitle it to, the events accepted in the
    order given."""
    out: dict[str, list[str]] = {}
    for granted in entitlements(in_order(*lifecycle)):
        out.setdefault(granted.recipient, []).append(granted.event["id"])
    return out


def involved_after(lifecycle: list[dict[str, Any]]) -> dict[str, Referral]:
    return involvement(in_order(*lifecycle))


def test_no_referral_no_one() -> None:
    assert involved_after([RAISED, TRIAGED]) == {}
    assert received([RAISED, TRIAGED]) == {}


def test_a_referral_shares_the_earlier_events_and_what_follows() -> None:
    lifecycle = [RAISED, TRIAGED, TO_MUTUAL_AID]
    assert involved_after(lifecycle) == {
        MUTUAL_AID: Referral(RAISED["source"], "e-3", FOODBANK, MUTUAL_AID)
    }
    assert received(lifecycle) == {MUTUAL_AID: ["e-1", "e-2", "e-3"]}
    later = request_event("triaged", "e-9", FOODBANK, 20, priority="urgent", need="food")
    assert received([*lifecycle, ACCEPTED, later]) == {MUTUAL_AID: ["e-1", "e-2", "e-3", "e-9"]}


def test_closing_the_request_does_not_end_involvement() -> None:
    after = request_event("triaged", "e-6", FOODBANK, 90, priority="routine", need="food")
    cancelled = request_event("cancelled", "e-7", FOODBANK, 30, reason="withdrawn")
    lifecycle = [RAISED, TO_MUTUAL_AID, ACCEPTED, FULFILLED, cancelled, after]
    # The accepted and the fulfilled are mutual-aid's own: it has nothing of its own back.
    assert received(lifecycle) == {MUTUAL_AID: ["e-1", "e-3", "e-7", "e-6"]}


def test_referring_elsewhere_involves_the_next_partner_and_keeps_the_first() -> None:
    declined = request_event("declined", "e-4", MUTUAL_AID, 8, reason="no_capacity")
    to_age_uk = request_event("referred", "e-6", FOODBANK, 10, to_partner=AGE_UK)
    accepted = request_event("accepted", "e-7", AGE_UK, 12)
    lifecycle = [RAISED, TO_MUTUAL_AID, declined, to_age_uk, accepted]
    assert set(involved_after(lifecycle)) == {MUTUAL_AID, AGE_UK}
    assert received(lifecycle) == {
        MUTUAL_AID: ["e-1", "e-3", "e-6", "e-7"],
        AGE_UK: ["e-1", "e-3", "e-4", "e-6"],
    }


def test_an_involved_partner_may_refer_it_on() -> None:
    onward = request_event("referred", "e-6", MUTUAL_AID, 10, to_partner=COUNCIL)
    lifecycle = [RAISED, TO_MUTUAL_AID, ACCEPTED, onward]
    assert involved_after(lifecycle)[COUNCIL].by == MUTUAL_AID
    assert received(lifecycle)[COUNCIL] == ["e-1", "e-3", "e-4", "e-6"]


def test_a_partner_without_the_request_cannot_involve_anyone() -> None:
    # The door refuses these; events stored before it judged roles may still hold them.
    grab = request_event("referred", "e-6", AGE_UK, 10, to_partner=AGE_UK)
    grab_for_other = request_event("referred", "e-7", COUNCIL, 11, to_partner=AGE_UK)
    lifecycle = [RAISED, TO_MUTUAL_AID, grab, grab_for_other]
    assert set(involved_after(lifecycle)) == {MUTUAL_AID}
    assert AGE_UK not in received(lifecycle)


def test_referring_again_to_the_same_partner_keeps_the_first_referral() -> None:
    again = request_event("referred", "e-6", FOODBANK, 10, to_partner=MUTUAL_AID)
    assert involved_after([RAISED, TO_MUTUAL_AID, again])[MUTUAL_AID].id == "e-3"


def test_late_events_reach_the_involved_whatever_their_event_time() -> None:
    cancelled = request_event("cancelled", "e-6", FOODBANK, 30, reason="withdrawn")
    # Accepted after the referral, though its event time is before it.
    late_before = request_event("triaged", "e-7", FOODBANK, 1, priority="high", need="food")
    # Accepted after the cancellation: the request is closed, mutual-aid still involved.
    late_after = request_event("triaged", "e-8", FOODBANK, 20, priority="urgent", need="food")
    lifecycle = [RAISED, TO_MUTUAL_AID, late_before, cancelled, late_after]
    assert received(lifecycle) == {MUTUAL_AID: ["e-1", "e-3", "e-7", "e-6", "e-8"]}


def test_the_order_of_acceptance_decides_only_the_order_of_the_shares() -> None:
    declined = request_event("declined", "e-4", MUTUAL_AID, 8, reason="no_capacity")
    to_age_uk = request_event("referred", "e-6", FOODBANK, 10, to_partner=AGE_UK)
    lifecycle = [RAISED, TRIAGED, TO_MUTUAL_AID, declined, to_age_uk]

    def granted(order: tuple[dict[str, Any], ...]) -> set[tuple[str, str]]:
        return {(g.recipient, g.event["id"]) for g in entitlements(in_order(*order))}

    expected = granted(tuple(lifecycle))
    for order in itertools.permutations(lifecycle):
        # Mutual-aid's decline is accepted only after the referral involving it.
        if order.index(declined) > order.index(TO_MUTUAL_AID):
            assert granted(order) == expected


def test_a_referral_counts_only_from_a_partner_that_held_the_request_then() -> None:
    # age-uk refers it before raising it (the door refuses both): that involves no one.
    early = request_event("referred", "e-6", AGE_UK, 6, to_partner=COUNCIL)
    later = request_event("triaged", "e-7", FOODBANK, 7, priority="high", need="food")
    also_raised = request_event("raised", "e-8", AGE_UK, 8)
    lifecycle = [RAISED, TO_MUTUAL_AID, early, later, also_raised]
    assert received(lifecycle) == {MUTUAL_AID: ["e-1", "e-3", "e-6", "e-7", "e-8"]}


def test_what_a_referral_entitles_only_grows_as_more_is_accepted() -> None:
    # A consumer has a prefix of the store's order: what it shares from a prefix is never
    # taken back by what is accepted later, so reading again from the start shares the same.
    declined = request_event("declined", "e-4", MUTUAL_AID, 8, reason="no_capacity")
    to_age_uk = request_event("referred", "e-6", FOODBANK, 10, to_partner=AGE_UK)
    closed = request_event("fulfilled", "e-7", AGE_UK, 40)
    after = request_event("triaged", "e-8", FOODBANK, 50, priority="routine", need="food")
    lifecycle = in_order(RAISED, TRIAGED, TO_MUTUAL_AID, declined, to_age_uk, closed, after)

    def granted(accepted: list[Accepted]) -> set[tuple[str, str, str]]:
        return {(g.recipient, g.referral.id, g.event["id"]) for g in entitlements(accepted)}

    everything = granted(lifecycle)
    assert {(MUTUAL_AID, "e-3", "e-7"), (MUTUAL_AID, "e-3", "e-8"), (AGE_UK, "e-6", "e-4")} <= (
        everything
    )
    for end in range(len(lifecycle) + 1):
        assert granted(lifecycle[:end]) <= everything


def test_the_request_of_an_event() -> None:
    assert request_of(RAISED) == ("covid-2020", "req-1")
    assert request_of(stock_event("s-1", FOODBANK)) is None


PARTNERS = (FOODBANK, MUTUAL_AID, AGE_UK)
STEPS = {
    "raised": {},
    "triaged": {"priority": "high", "need": "food"},
    "referred": {},
    "accepted": {},
    "declined": {"reason": "no_capacity"},
    "fulfilled": {},
    "cancelled": {"reason": "withdrawn"},
}


@st.composite
def lifecycles(draw: st.DrawFn) -> list[dict[str, Any]]:
    events = []
    for n in range(draw(st.integers(1, 9))):
        step = draw(st.sampled_from(sorted(STEPS)))
        data = dict(STEPS[step])
        if step == "referred":
            data["to_partner"] = draw(st.sampled_from(PARTNERS))
        partner = draw(st.sampled_from(PARTNERS))
        events.append(request_event(step, f"e-{n}", partner, draw(st.integers(0, 60)), **data))
    return events


@settings(max_examples=500, deadline=None)
@given(lifecycles())
def test_no_prefix_of_the_acceptance_order_entitles_more_than_the_whole(
    lifecycle: list[dict[str, Any]],
) -> None:
    """What a consumer shares from the events it has so far, reading the store's order, is
    never more than what all the events entitle: so reading everything again adds nothing."""
    accepted = in_order(*lifecycle)

    def granted(part: list[Accepted]) -> set[tuple[str, str]]:
        return {(g.recipient, g.event["id"]) for g in entitlements(part)}

    everything = granted(accepted)
    for end in range(len(accepted)):
        assert granted(accepted[:end]) <= everything
