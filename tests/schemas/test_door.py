"""What the door settles before an event is validated: extensions kept or dropped, `data_base64`
decoded, names CloudEvents does not allow refused; the same whether the event arrives as JSON,
as Python values, in a batch or in binary mode."""

from __future__ import annotations

import base64
import json
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from schemas import (
    ContractError,
    Problem,
    event_to_json,
    event_to_obj,
    parse_batch_json,
    parse_batch_objs,
    parse_event_json,
    parse_event_obj,
)
from schemas.bindings import JSON, parse_binary_event
from schemas.door import ATTRIBUTES, NAME_RULE
from schemas.wire import dropped_by_id
from tests.support.contract_fixtures import FIXTURE_DOCS

TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def raised(**changes: Any) -> dict[str, Any]:
    event: dict[str, Any] = json.loads(
        json.dumps(FIXTURE_DOCS["resilience.request.raised.v1"]["valid"][0])
    )
    event.update(changes)
    return event


def as_base64(event: dict[str, Any]) -> dict[str, Any]:
    """The event as an SDK writes it when its data marshaller returns bytes."""
    encoded = {name: value for name, value in event.items() if name != "data"}
    encoded["data_base64"] = base64.b64encode(orjson.dumps(event["data"])).decode()
    return encoded


def both_ways(event: dict[str, Any]) -> Any:
    """The event parsed from JSON and from Python values, which must agree."""
    from_json = parse_event_json(orjson.dumps(event))
    from_obj = parse_event_obj(event)
    assert from_json == from_obj
    assert from_json.dropped_extensions == from_obj.dropped_extensions
    return from_json


def problems(event: object) -> list[Problem]:
    with pytest.raises(ContractError) as from_json:
        parse_event_json(orjson.dumps(event))
    with pytest.raises(ContractError) as from_obj:
        parse_event_obj(event)
    assert from_json.value.problems == from_obj.value.problems
    return from_json.value.problems


def test_documented_extensions_are_kept_in_the_canonical_json() -> None:
    kept = {
        "traceparent": TRACEPARENT,
        "tracestate": "kfb=00f067aa0ba902b7,other=x",
        "partitionkey": "req-1001",
        "sequence": "0000000042",
    }
    event = both_ways(raised(**kept))
    assert event.dropped_extensions == ()
    canonical = orjson.loads(event_to_json(event))
    assert {name: canonical[name] for name in kept} == kept
    assert canonical == raised(**kept)


def test_other_extensions_are_dropped_named_and_never_written() -> None:
    event = both_ways(raised(traceparent=TRACEPARENT, ownername="J Doe", knativearrivaltime="x"))
    assert event.dropped_extensions == ("knativearrivaltime", "ownername")
    written = event_to_json(event)
    assert b"J Doe" not in written and b"ownername" not in written
    assert orjson.loads(written) == raised(traceparent=TRACEPARENT)


@given(
    name=st.from_regex(r"[a-z0-9]{1,20}", fullmatch=True).filter(lambda n: n not in ATTRIBUTES),
    value=st.recursive(
        st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
        max_leaves=6,
    ),
)
def test_any_extension_the_spec_allows_is_dropped_whatever_its_value(
    name: str, value: object
) -> None:
    event = both_ways({**raised(), name: value})
    assert event.dropped_extensions == (name,)
    assert event_to_json(event) == event_to_json(parse_event_obj(raised()))


@pytest.mark.parametrize(
    "name", ["Ownername", "owner_name", "owner-name", "a" * 21, "", "naïve", "trace parent"]
)
def test_names_the_spec_does_not_allow_are_refused_with_the_rule(name: str) -> None:
    found = problems({**raised(), name: "x"})
    assert [(p.field, p.reason) for p in found] == [(name, NAME_RULE)]


def test_a_bad_name_is_listed_with_every_other_problem() -> None:
    event = raised(Partitionkey="x", traceparent="00-nope")
    event["data"]["household_size"] = 0
    assert [p.field for p in problems(event)] == [
        "Partitionkey",
        "data.household_size",
        "traceparent",
    ]


def test_data_base64_is_decoded_and_stored_as_data() -> None:
    event = both_ways(as_base64(raised()))
    assert event_to_obj(event) == raised()
    assert event == parse_event_obj(raised())


def test_data_base64_is_checked_like_data() -> None:
    event = raised()
    event["data"]["need"] = "groceries"
    assert [p.field for p in problems(as_base64(event))] == ["data.need"]


@pytest.mark.parametrize(
    "data_base64",
    [
        "not base64!",
        base64.b64encode(b"not json").decode(),
        12,
        None,
        base64.b64encode(b'{"request_id": "req-1001"').decode(),
    ],
)
def test_data_base64_that_does_not_decode_to_json_is_one_problem(data_base64: object) -> None:
    event = {**as_base64(raised()), "data_base64": data_base64}
    [problem] = problems(event)
    assert problem.field == "data_base64"
    assert problem.reason.startswith("must be base64 (RFC 4648) of the event's JSON data")


def test_data_and_data_base64_together_are_refused() -> None:
    event = {**as_base64(raised()), "data": raised()["data"]}
    assert [(p.field, p.reason) for p in problems(event)] == [
        ("data_base64", "must not be given with data: send one of them")
    ]


def test_a_batch_names_what_it_dropped_by_event_id_and_problems_by_index() -> None:
    batch: list[Any] = [
        raised(id="a", ownername="J Doe"),
        as_base64(raised(id="b")),
        raised(id="c", knativearrivaltime="x", traceparent=TRACEPARENT),
    ]
    for events in (parse_batch_json(orjson.dumps(batch)), parse_batch_objs(batch)):
        assert dropped_by_id(events) == {"a": ["ownername"], "c": ["knativearrivaltime"]}
        assert [e.traceparent for e in events] == [None, None, TRACEPARENT]
    batch[1]["Bad_Name"] = 1
    with pytest.raises(ContractError) as caught:
        parse_batch_json(orjson.dumps(batch))
    assert [(p.index, p.id, p.field) for p in caught.value.problems] == [(1, "b", "Bad_Name")]


def test_events_with_one_id_from_two_sources_share_one_entry() -> None:
    other = raised(source="/orgs/kingston-foodbank/helpline", ownername="x", zone="y")
    events = parse_batch_objs([raised(ownername="z"), other])
    assert dropped_by_id(events) == {"kfb-crm-0001": ["ownername", "zone"]}


def binary_attributes(event: dict[str, Any]) -> dict[str, str]:
    return {name: str(value) for name, value in event.items() if name != "data"}


def test_binary_mode_keeps_and_drops_extensions_as_structured_mode_does() -> None:
    event = raised(traceparent=TRACEPARENT, ownername="J Doe", datacontenttype=JSON)
    parsed = parse_binary_event(binary_attributes(event), JSON, orjson.dumps(event["data"]))
    assert parsed.dropped_extensions == ("ownername",)
    assert event_to_json(parsed) == event_to_json(parse_event_json(orjson.dumps(event)))


@pytest.mark.parametrize("name", ["data", "data_base64"])
def test_in_binary_mode_a_data_header_collides_with_the_body(name: str) -> None:
    attributes = {**binary_attributes(raised()), name: "x"}
    with pytest.raises(ContractError) as caught:
        parse_binary_event(attributes, JSON, orjson.dumps(raised()["data"]))
    assert [(p.field, p.reason) for p in caught.value.problems] == [
        (name, "cannot be a header: in binary mode the body is the data")
    ]
