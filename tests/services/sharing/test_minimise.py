"""Minimised events and pseudonyms."""

from __future__ import annotations

import re

from schemas.ids import ID_PATTERN
from services.sharing.minimise import minimise, payload_fields, pseudonym
from tests.support.sharing_events import AGE_UK, COUNCIL, FOODBANK, KEY, request_event

PERSON = "kfb-p-4411"


def test_pseudonyms_are_ids_stable_per_recipient_and_different_across_recipients() -> None:
    council = pseudonym(KEY, COUNCIL, FOODBANK, PERSON)
    assert re.fullmatch(r"pp-[0-9a-f]{32}", council) and re.fullmatch(ID_PATTERN, council)
    assert pseudonym(KEY, COUNCIL, FOODBANK, PERSON) == council
    assert pseudonym(KEY, AGE_UK, FOODBANK, PERSON) != council
    assert pseudonym(KEY, COUNCIL, FOODBANK, "kfb-p-4412") != council


def test_pseudonyms_depend_on_the_secret_and_on_who_issued_the_person_ref() -> None:
    council = pseudonym(KEY, COUNCIL, FOODBANK, PERSON)
    assert pseudonym(bytes(32), COUNCIL, FOODBANK, PERSON) != council
    assert pseudonym(KEY, COUNCIL, "age-uk", PERSON) != council
    # The separator keeps ("ab", "c") and ("a", "bc") apart.
    assert pseudonym(KEY, "ab", "c", PERSON) != pseudonym(KEY, "a", "bc", PERSON)


def test_the_same_person_is_linkable_within_a_recipient_only() -> None:
    first = request_event("raised", "e-1", FOODBANK, 0)
    second = request_event("raised", "e-2", FOODBANK, 9, request_id="req-2")

    def seen_by(recipient: str, event: dict[str, object]) -> object:
        shared = minimise(event, (), pseudonymise=True, recipient=recipient, key=KEY)
        return shared["data"]["person_ref"]

    assert seen_by(COUNCIL, first) == seen_by(COUNCIL, second)
    assert seen_by(COUNCIL, first) != seen_by(AGE_UK, first)


def test_without_pseudonymise_person_ref_is_dropped_even_when_listed() -> None:
    raised = request_event("raised", "e-1", FOODBANK, 0)
    shared = minimise(
        raised, ("need", "person_ref"), pseudonymise=False, recipient=COUNCIL, key=KEY
    )
    assert shared["data"] == {"need": "food"}


def test_an_event_without_person_ref_gets_none_made_up() -> None:
    raised = request_event("raised", "e-1", FOODBANK, 0)
    del raised["data"]["person_ref"]
    shared = minimise(raised, ("need",), pseudonymise=True, recipient=COUNCIL, key=KEY)
    assert shared["data"] == {"need": "food"}


def test_the_envelope_is_kept_and_nothing_else_around_it() -> None:
    raised = {**request_event("raised", "e-1", FOODBANK, 0), "datacontenttype": "application/json"}
    shared = minimise(
        {**raised, "ownername": "J Doe"}, (), pseudonymise=False, recipient=COUNCIL, key=KEY
    )
    assert set(shared) == set(raised)
    assert {k: v for k, v in shared.items() if k != "data"} == {
        k: v for k, v in raised.items() if k != "data"
    }


def test_payload_fields_are_the_names_on_the_wire() -> None:
    assert payload_fields("resilience.stock.received.v1") == ("hub_id", "item", "quantity", "from")


def test_of_the_kept_extensions_only_the_trace_context_reaches_a_recipient() -> None:
    traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    raised = {
        **request_event("raised", "e-1", FOODBANK, 0),
        "traceparent": traceparent,
        "tracestate": "kfb=00f067aa0ba902b7",
        "partitionkey": "kfb-p-4411",
        "sequence": "0000000042",
    }
    shared = minimise(raised, ("need",), pseudonymise=False, recipient=COUNCIL, key=KEY)
    assert shared["traceparent"] == traceparent
    assert not {"tracestate", "partitionkey", "sequence"} & set(shared)
