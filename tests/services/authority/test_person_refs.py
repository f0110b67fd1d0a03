"""Door pseudonyms and the redaction of refused bodies, called directly."""

from __future__ import annotations

import hashlib
import hmac
import re
import time

import pytest

from schemas import event_to_obj, parse_event_obj
from schemas.ids import ID_PATTERN
from services.authority.person_refs import at_the_door, door_pseudonym, redacted
from services.exercises.injects import Inject, added_events
from services.exercises.injects import at_the_door as inject_at_the_door
from tests.support.person_ref_events import EVADING, REF, REFUSED, raised_data
from tests.support.sharing_events import COUNCIL, FOODBANK, request_event, stock_event

KEY = bytes(range(32))


def test_a_door_pseudonym_is_the_hmac_of_partner_and_reference() -> None:
    expected = hmac.new(KEY, f"{COUNCIL}\x00{REF}".encode(), hashlib.sha256).hexdigest()[:32]
    assert door_pseudonym(KEY, COUNCIL, REF) == "pr-" + expected


def test_stable_per_partner_and_reference_different_across_partners_and_keys() -> None:
    council = door_pseudonym(KEY, COUNCIL, REF)
    assert re.fullmatch(ID_PATTERN, council) and REF not in council
    assert door_pseudonym(KEY, COUNCIL, REF) == council
    assert door_pseudonym(KEY, FOODBANK, REF) != council
    assert door_pseudonym(KEY, COUNCIL, REF + "0") != council
    assert door_pseudonym(bytes(32), COUNCIL, REF) != council
    # The separator keeps (partner, reference) pairs apart that concatenate alike.
    assert door_pseudonym(KEY, "a", "bc") != door_pseudonym(KEY, "ab", "c")


def test_at_the_door_only_the_person_ref_changes() -> None:
    raised = request_event("raised", "e-1", COUNCIL, 0, **raised_data())
    door = event_to_obj(at_the_door(parse_event_obj(raised), KEY))
    assert door["data"]["person_ref"] == door_pseudonym(KEY, COUNCIL, REF)
    assert {**door, "data": {**door["data"], "person_ref": REF}} == raised
    parse_event_obj(door)  # still a valid event
    anonymous = request_event("raised", "e-2", COUNCIL, 0, **raised_data(person_ref=None))
    assert event_to_obj(at_the_door(parse_event_obj(anonymous), KEY)) == anonymous
    stock = stock_event("s-1", FOODBANK)
    assert event_to_obj(at_the_door(parse_event_obj(stock), KEY)) == stock


@pytest.mark.parametrize(("body", "left"), REFUSED)
def test_a_refused_body_keeps_no_person_ref(body: bytes, left: bytes) -> None:
    assert redacted(body) == left
    assert b"nhs-" not in redacted(body) and b"9434765919" not in redacted(body)


@pytest.mark.parametrize(("body", "reference"), EVADING)
def test_a_reference_is_found_however_the_body_spells_it(body: bytes, reference: bytes) -> None:
    kept = redacted(body)
    assert reference in body and reference not in kept and b"nhs-" not in kept
    # What comes before the reference is kept, for the partner to see what went wrong.
    assert kept.startswith(body[: body.lower().index(b"erson") - 1])


def test_only_the_value_goes_and_the_rest_of_the_body_stays() -> None:
    escaped = b'{"person_ref": "nhs-1\\"2\\\\", "need": "food"}'  # nhs-1"2\\
    assert redacted(escaped) == b'{"person_ref": "redacted", "need": "food"}'
    assert redacted(b"person_ref=nhs-1&need=food") == b'person_ref="redacted"&need=food'
    assert redacted(b"a,person_ref\n1,nhs-1") == b"a,redacted"


def test_an_inject_writes_door_pseudonyms_and_copies_stay_different_people() -> None:
    inject = Inject.model_validate(
        {
            "id": "surge",
            "at": "2020-04-06T09:00:00Z",
            "synopsis": "a surge",
            "events": [
                {
                    "type": "resilience.request.raised.v1",
                    "partner": COUNCIL,
                    "repeat": 2,
                    "subject": "surge-{n}",
                    "data": {"request_id": "surge-{n}", **raised_data("nhs-{n}")},
                },
                {
                    "type": "resilience.request.raised.v1",
                    "partner": COUNCIL,
                    "subject": "one",
                    "data": {"request_id": "one", **raised_data()},
                },
            ],
        }
    )
    kept = inject_at_the_door(inject, KEY)
    assert "nhs-" not in kept.model_dump_json()
    events = added_events(kept.id, kept.effect, "covid-2020", inject.at)
    refs = [e["data"]["person_ref"] for e in events]
    template = door_pseudonym(KEY, COUNCIL, "nhs-{n}")
    assert refs == [f"{template}-1", f"{template}-2", door_pseudonym(KEY, COUNCIL, REF)]
    for event in events:
        parse_event_obj(event)


@pytest.mark.parametrize(
    "body",
    [b"\\" * 2**20 + b'"', b'{"person_ref": "' + b'\\\\\\"' * 2**18, b"\\u" * 2**19 + b"p" * 2**20],
)
def test_a_hostile_megabyte_is_redacted_in_linear_time(body: bytes) -> None:
    # Backslash runs tried from every position would take hours on a megabyte; a pass, well
    # under a second.
    started = time.perf_counter()
    redacted(body)
    assert time.perf_counter() - started < 2
