"""The sharing decision, called directly: agreements, referrals, what goes to whom."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from schemas.ids import ID_PATTERN
from services.sharing.accepted import Accepted
from services.sharing.decide import Share, agreement_shares, decide
from services.sharing.referrals import Referral
from tests.support.sharing_events import (
    AGE_UK,
    COUNCIL,
    FOODBANK,
    KEY,
    MUTUAL_AID,
    NOW,
    agreement,
    in_order,
    request_event,
    stock_event,
)


def accepted(event: dict[str, Any], at: datetime = NOW) -> Accepted:
    return Accepted(event, at, (1, 0))


def shared(shares: list[Share]) -> set[tuple[str, str]]:
    return {(s.recipient, s.event["id"]) for s in shares}


def test_nothing_is_shared_without_an_agreement_or_referral() -> None:
    raised = request_event("raised", "e-1", FOODBANK, 0)
    assert decide(accepted(raised), [], [], KEY) == []
    assert decide(accepted(stock_event("s-1", FOODBANK)), [], [], KEY) == []


def test_an_agreement_covers_only_its_provider_and_types() -> None:
    council_raised = request_event("raised", "e-1", COUNCIL, 0)
    other_type = stock_event("s-1", FOODBANK)
    assert decide(accepted(council_raised), [agreement()], [], KEY) == []
    assert decide(accepted(other_type), [agreement()], [], KEY) == []


def test_the_recipient_gets_exactly_the_agreed_fields_and_the_envelope() -> None:
    raised = request_event("raised", "e-1", FOODBANK, 0)
    (share,) = decide(accepted(raised), [agreement()], in_order(raised), KEY)
    assert share.recipient == COUNCIL and share.basis == "dsa-1"
    assert share.request_id == "req-1"
    assert share.event == {
        **{k: v for k, v in raised.items() if k != "data"},
        "data": {"request_id": "req-1", "need": "food", "area": "kingston-town"},
    }


def test_unknown_keys_never_leak() -> None:
    raised = request_event("raised", "e-1", FOODBANK, 0)
    smuggled = {
        **raised,
        "name": "Jane Doe",
        "phone": "020 7946 0000",
        "data": {**raised["data"], "address": "1 High St", "notes": "lives alone"},
    }
    (share,) = decide(accepted(smuggled), [agreement(fields=("request_id", "need"))], [], KEY)
    assert share.event["data"] == {"request_id": "req-1", "need": "food"}
    assert "name" not in share.event and "phone" not in share.event


def test_person_ref_goes_only_as_the_recipients_pseudonym() -> None:
    raised = request_event("raised", "e-1", FOODBANK, 0)
    (plain,) = decide(accepted(raised), [agreement()], [], KEY)
    assert "person_ref" not in plain.event["data"]
    (pseudonymised,) = decide(accepted(raised), [agreement(pseudonymise=True)], [], KEY)
    person = pseudonymised.event["data"]["person_ref"]
    assert person != "kfb-p-4411" and re.fullmatch(ID_PATTERN, person)


def test_revocation_stops_sharing_for_events_accepted_after_it() -> None:
    revoked_at = NOW
    revoked = agreement(revoked_at=revoked_at)
    raised = request_event("raised", "e-1", FOODBANK, 0)
    before = revoked_at - timedelta(seconds=1)
    assert shared(decide(accepted(raised, before), [revoked], [], KEY)) == {(COUNCIL, "e-1")}
    assert decide(accepted(raised, revoked_at), [revoked], [], KEY) == []
    assert decide(accepted(raised, revoked_at + timedelta(days=1)), [revoked], [], KEY) == []


def test_an_agreement_covers_only_events_accepted_once_it_is_made_and_started() -> None:
    raised = request_event("raised", "e-1", FOODBANK, 0)
    later = agreement(created_at=NOW + timedelta(hours=1))
    assert decide(accepted(raised), [later], [], KEY) == []
    assert shared(decide(accepted(raised, later.created_at), [later], [], KEY)) == {
        (COUNCIL, "e-1")
    }
    # `starts` is a day in UK time: 2020-03-01 began at midnight GMT.
    started = agreement(created_at=datetime(2020, 2, 1, tzinfo=UTC))
    first_moment = datetime(2020, 3, 1, tzinfo=UTC)
    assert (
        decide(accepted(raised, first_moment - timedelta(microseconds=1)), [started], [], KEY) == []
    )
    assert len(decide(accepted(raised, first_moment), [started], [], KEY)) == 1


def test_each_recipient_gets_the_event_once_under_the_lowest_agreement_id() -> None:
    raised = request_event("raised", "e-1", FOODBANK, 0)
    narrow = agreement("dsa-a", fields=("request_id",))
    wide = agreement("dsa-b")
    other = agreement("dsa-c", to_partner=AGE_UK, fields=("request_id", "priority"))
    shares = decide(accepted(raised), [wide, other, narrow], [], KEY)
    assert [(s.recipient, s.basis) for s in shares] == [(COUNCIL, "dsa-a"), (AGE_UK, "dsa-c")]
    assert shares[1].event["data"] == {"request_id": "req-1", "priority": "urgent"}


def test_nothing_goes_back_to_its_publisher() -> None:
    referral = request_event("referred", "e-2", COUNCIL, 5, to_partner=COUNCIL)
    raised = request_event("raised", "e-1", COUNCIL, 0)
    *history, last = in_order(raised, referral)
    assert decide(last, [], history, KEY) == []


def test_a_referral_shares_the_lifecycle_with_every_field_and_a_pseudonym() -> None:
    raised = request_event("raised", "e-1", FOODBANK, 0)
    referral = request_event("referred", "e-2", FOODBANK, 5, to_partner=MUTUAL_AID)
    *history, last = in_order(raised, referral)
    shares = decide(last, [], history, KEY)
    assert shared(shares) == {(MUTUAL_AID, "e-1"), (MUTUAL_AID, "e-2")}
    basis = Referral("/orgs/kingston-foodbank/crm", "e-2", FOODBANK, MUTUAL_AID)
    assert {s.basis for s in shares} == {basis}
    raised_share = next(s for s in shares if s.event["id"] == "e-1")
    person = raised_share.event["data"].pop("person_ref")
    assert raised_share.event["data"] == {
        k: v for k, v in raised["data"].items() if k != "person_ref"
    }
    assert person.startswith("pp-")


def test_a_referral_share_wins_over_an_agreement_share_of_the_same_event() -> None:
    raised = request_event("raised", "e-1", FOODBANK, 0)
    referral = request_event("referred", "e-2", FOODBANK, 5, to_partner=COUNCIL)
    lifecycle = in_order(raised, referral)
    shares = decide(lifecycle[0], [agreement()], lifecycle, KEY)
    by_event = {s.event["id"]: s for s in shares}
    assert isinstance(by_event["e-1"].basis, Referral)
    assert by_event["e-1"].event["data"]["household_size"] == 3


def test_fields_are_named_as_on_the_wire() -> None:
    stock = agreement(types=("resilience.stock.received.v1",), fields=("hub_id", "from"))
    (share,) = agreement_shares(stock_event("s-1", FOODBANK), [stock], KEY, NOW)
    assert share.event["data"] == {"hub_id": "hub-1", "from": "donation"}
    assert share.request_id is None
