"""Admission of `events.inbound` messages, as plain data: every message becomes an event or a
dead letter with its reasons, never an exception."""

from __future__ import annotations

import hashlib
from typing import Any

import orjson
import pytest

from schemas import Event, event_to_obj
from services.inbound.admission import INVALID_TOKEN, InboundMessage, admit
from services.store.dead_letters import DeadLetter
from tests.support.events_store import sample_event

TOKENS = {"tdm_good_secret": "kingston-foodbank", "tdm_other_secret": "rbk-council"}
STRUCTURED = ("content-type", b"application/cloudevents+json")
AUTHORIZED = ("authorization", b"Bearer tdm_good_secret")


def partner_for(token: str) -> str | None:
    return TOKENS.get(token)


def structured(event: dict[str, Any], *headers: tuple[str, bytes | None]) -> InboundMessage:
    return InboundMessage([STRUCTURED, AUTHORIZED, *headers], orjson.dumps(event))


def binary(event: dict[str, Any], *headers: tuple[str, bytes | None]) -> InboundMessage:
    attributes = [(f"ce_{k}", str(v).encode()) for k, v in event.items() if k != "data"]
    return InboundMessage(
        [*attributes, ("content-type", b"application/json"), AUTHORIZED, *headers],
        orjson.dumps(event["data"]),
    )


def refused(message: InboundMessage) -> DeadLetter:
    outcome = admit(message, partner_for)
    assert isinstance(outcome, DeadLetter), outcome
    assert outcome.channel == "kafka"
    return outcome


def accepted(message: InboundMessage) -> Event:
    outcome = admit(message, partner_for)
    assert not isinstance(outcome, DeadLetter), outcome.problems
    return outcome


def reasons(letter: DeadLetter) -> list[tuple[str, str]]:
    return [(p.field, p.reason) for p in letter.problems]


def test_structured_and_binary_mode_give_the_same_event() -> None:
    event = sample_event(1)
    from_structured = event_to_obj(accepted(structured(event)))
    assert from_structured["id"] == "e-1" and from_structured["data"] == event["data"]
    from_binary = event_to_obj(accepted(binary(event)))
    assert from_binary == {**from_structured, "datacontenttype": "application/json"}


def test_structured_mode_without_a_content_type_and_header_names_in_any_case() -> None:
    message = InboundMessage(
        [("Authorization", b"Bearer tdm_good_secret")], orjson.dumps(sample_event(2))
    )
    assert accepted(message).id == "e-2"


@pytest.mark.parametrize(
    "authorization",
    [None, b"", b"Bearer tdm_wrong_secret", b"Basic tdm_good_secret", b"Bearer \xff\xfe"],
)
def test_a_valid_token_is_required(authorization: bytes | None) -> None:
    headers = [STRUCTURED] + ([] if authorization is None else [("authorization", authorization)])
    message = InboundMessage(headers, orjson.dumps(sample_event(3)))
    letter = refused(message)
    assert letter.status == 401 and letter.partner is None
    assert reasons(letter) == [("authorization", INVALID_TOKEN)]
    assert letter.payload == message.value


def test_an_event_in_another_partners_name_is_refused() -> None:
    message = structured(sample_event(4), ("authorization", b"Bearer tdm_other_secret"))
    letter = refused(InboundMessage(message.headers[::2] + message.headers[2:], message.value))
    assert letter.status == 403 and letter.partner == "rbk-council"
    [problem] = letter.problems
    assert (problem.id, problem.field) == ("e-4", "partner")
    assert "belongs to 'rbk-council'" in problem.reason


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (b"hello, not json", "is not valid JSON"),
        (b"", "message has no value"),
        (None, "message has no value"),
        (b"\xff\xfe{}", "value is not UTF-8 text"),
        (b"[]", "must be a JSON object (one event)"),
    ],
)
def test_what_is_not_one_json_event_is_refused_with_the_reason(
    value: bytes | None, reason: str
) -> None:
    letter = refused(InboundMessage([STRUCTURED, AUTHORIZED], value))
    assert letter.status == 422 and letter.partner == "kingston-foodbank"
    [(field, said)] = reasons(letter)
    assert field == "" and said.startswith(reason)


def test_contract_problems_are_named_field_by_field() -> None:
    event = sample_event(5)
    event["data"] = {**event["data"], "quantity": -1, "colour": "red"}  # type: ignore[dict-item]
    for message in (structured(event), binary(event)):
        letter = refused(message)
        assert letter.status == 422
        assert {p.field for p in letter.problems} == {"data.quantity", "data.colour"}
        assert {p.id for p in letter.problems} == {"e-5"}


def test_binary_mode_needs_json_data_and_utf8_attributes() -> None:
    event = sample_event(6)
    not_json = binary(event)
    letter = refused(InboundMessage(not_json.headers, b"{oops"))
    assert reasons(letter)[0][0] == "data" and "not valid JSON" in reasons(letter)[0][1]
    as_text = binary(event, ("content-type", b"text/plain"))
    assert reasons(refused(as_text)) == [
        ("datacontenttype", "binary mode data must be application/json")
    ]
    garbled = binary(event, ("ce_subject", b"hub-\xff"))
    assert [p.field for p in refused(garbled).problems] == ["subject"]


@pytest.mark.parametrize(
    ("content_type", "reason"),
    [
        (b"text/plain", "unsupported content type 'text/plain'"),
        (b"application/cloudevents-batch+json", "one event per message"),
    ],
)
def test_other_media_types_are_refused(content_type: bytes, reason: str) -> None:
    message = InboundMessage(
        [("content-type", content_type), AUTHORIZED], orjson.dumps(sample_event(7))
    )
    letter = refused(message)
    assert letter.status == 415 and reason in letter.problems[0].reason


def test_a_dead_letter_can_always_be_stored() -> None:
    """jsonb holds no NUL: what a message quotes back must not make its dead letter unstorable."""
    event = {**sample_event(8), "id": "bad\x00id", "data\x00": 1}
    letter = refused(structured(event))
    channel, partner, status, problems, payload, size, sha256 = letter.row()
    assert "\\u0000" not in str(problems) and "\x00" not in str(problems)
    assert (channel, partner, status) == ("kafka", "kingston-foodbank", 422)
    assert payload == orjson.dumps(event)
    assert (size, sha256) == (len(payload), hashlib.sha256(payload).digest())


def test_a_binary_records_text_key_is_its_partitionkey_unless_a_header_says_otherwise() -> None:
    message = binary(sample_event(1))
    keyed = accepted(InboundMessage(message.headers, message.value, b"hub-1"))
    assert keyed.partitionkey == "hub-1"
    header = ("ce_partitionkey", b"from-header")
    both = accepted(InboundMessage([*message.headers, header], message.value, b"hub-1"))
    assert both.partitionkey == "from-header"
    not_text = accepted(InboundMessage(message.headers, message.value, b"\xff\x00"))
    assert not_text.partitionkey is None
    # In structured mode the value is the whole event: the key adds nothing to it.
    as_structured = structured(sample_event(1))
    unkeyed = accepted(InboundMessage(as_structured.headers, as_structured.value, b"hub-1"))
    assert unkeyed.partitionkey is None


def test_kafka_extensions_are_kept_or_dropped_as_over_http() -> None:
    traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    event = {**sample_event(1), "traceparent": traceparent, "ownername": "J Doe"}
    for message in (structured(event), binary(event)):
        admitted = accepted(message)
        assert (admitted.traceparent, admitted.dropped_extensions) == (traceparent, ("ownername",))
    letter = refused(binary({**sample_event(1), "Owner_Name": "x"}))
    assert [p.field for p in letter.problems] == ["owner_name"]  # header names compare lower
