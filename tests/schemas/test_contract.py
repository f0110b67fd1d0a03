"""The event contract: fixtures, strictness, problem reports, batches and the canonical form."""

import json
import pickle
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from schemas import (
    ENVELOPE_MODELS,
    EVENT_TYPES,
    ContractError,
    Problem,
    event_to_json,
    event_to_obj,
    parse_batch_json,
    parse_batch_objs,
    parse_event_json,
    parse_event_obj,
)
from schemas.hubs import StockReceived
from schemas.payload import INTEGER_MAX
from schemas.volunteers import VolunteerRegistered
from tests.support.contract_fixtures import FIXTURE_DOCS, FIXTURES

VALID = [
    pytest.param(event_type, event, id=f"{event_type}[{n}]")
    for event_type, doc in FIXTURE_DOCS.items()
    for n, event in enumerate(doc["valid"])
]
INVALID = [
    pytest.param(case, id=f"{event_type}: {case['why']}")
    for event_type, doc in FIXTURE_DOCS.items()
    for case in doc["invalid"]
]


def raised(**changes: Any) -> dict[str, Any]:
    """A valid request.raised event, with top-level attributes (or `data`) replaced."""
    event: dict[str, Any] = json.loads(
        json.dumps(FIXTURE_DOCS["resilience.request.raised.v1"]["valid"][0])
    )
    event.update(changes)
    return event


def raised_data(**changes: Any) -> dict[str, Any]:
    event = raised()
    event["data"].update(changes)
    return event


def problems_of(obj: object) -> list[Problem]:
    with pytest.raises(ContractError) as caught:
        parse_event_obj(obj)
    return caught.value.problems


def test_every_type_has_valid_and_several_invalid_fixtures() -> None:
    fixture_files = {
        path.name.removesuffix(".json")
        for path in FIXTURES.iterdir()
        if path.name.endswith(".json")
    }
    assert fixture_files == set(ENVELOPE_MODELS)
    for event_type, doc in FIXTURE_DOCS.items():
        assert doc["valid"], event_type
        assert len(doc["invalid"]) >= 3, event_type


def test_payload_and_envelope_tables_agree() -> None:
    assert set(EVENT_TYPES) == set(ENVELOPE_MODELS)
    for event_type, envelope in ENVELOPE_MODELS.items():
        assert envelope.model_fields["data"].annotation is EVENT_TYPES[event_type]


@pytest.mark.parametrize(("event_type", "event"), VALID)
def test_valid_fixture_parses_from_json_and_from_objects(
    event_type: str, event: dict[str, Any]
) -> None:
    from_json = parse_event_json(orjson.dumps(event))
    assert type(from_json) is ENVELOPE_MODELS[event_type]
    assert type(from_json.data) is EVENT_TYPES[event_type]
    assert parse_event_obj(event) == from_json
    assert (from_json.id, from_json.subject, from_json.partner, from_json.incident) == (
        event["id"],
        event["subject"],
        event["partner"],
        event["incident"],
    )


@pytest.mark.parametrize(("event_type", "event"), VALID)
def test_canonical_json_round_trips(event_type: str, event: dict[str, Any]) -> None:
    parsed = parse_event_json(orjson.dumps(event))
    canonical = event_to_json(parsed)
    again = parse_event_json(canonical)
    assert again == parsed
    assert event_to_json(again) == canonical
    assert event_to_obj(parsed) == orjson.loads(canonical)
    assert orjson.loads(canonical)["data"].keys() == event["data"].keys()


@pytest.mark.parametrize("case", INVALID)
def test_invalid_fixture_is_rejected_on_exactly_its_field(case: dict[str, Any]) -> None:
    event = case["event"]
    raw_id = event.get("id") if isinstance(event.get("id"), str) else None
    for problems in (problems_of(event), _json_problems(event)):
        assert [problem.field for problem in problems] == [case["field"]]
        (problem,) = problems
        assert (problem.index, problem.id) == (None, raw_id)
        assert problem.reason and "Input should" not in problem.reason


def _json_problems(event: object) -> list[Problem]:
    with pytest.raises(ContractError) as caught:
        parse_event_json(orjson.dumps(event))
    return caught.value.problems


@pytest.mark.parametrize(
    ("event", "field"),
    [
        pytest.param(raised_data(household_size="3"), "data.household_size", id="digit string"),
        pytest.param(raised_data(household_size=True), "data.household_size", id="true"),
        pytest.param(raised_data(household_size=3.0), "data.household_size", id="float"),
        pytest.param(raised_data(shielding=1), "data.shielding", id="1 for bool"),
        pytest.param(raised_data(shielding="true"), "data.shielding", id="string for bool"),
        pytest.param(raised_data(need="FOOD"), "data.need", id="enum case"),
        pytest.param(raised_data(area=" kingston"), "data.area", id="id with space"),
        pytest.param(raised_data(area="kingston\n"), "data.area", id="id with newline"),
        pytest.param(raised_data(area="k" * 65), "data.area", id="id too long"),
        pytest.param(raised(time="2020-03-23T10:00:00"), "time", id="naive time"),
        pytest.param(raised(time=1584958500), "time", id="number time"),
        pytest.param(raised(time="1584958500"), "time", id="timestamp string"),
        pytest.param(raised(time="2020-03-23T10:00:00+0100"), "time", id="offset without colon"),
        pytest.param(raised(time="2020-03-23T10:00:00Z\n"), "time", id="time with newline"),
        pytest.param(raised(time="2020-03-23"), "time", id="date only"),
        pytest.param(raised(time="2020-02-30T10:00:00Z"), "time", id="no such day"),
        pytest.param(raised(specversion=1.0), "specversion", id="specversion number"),
        pytest.param(raised(datacontenttype="text/json"), "datacontenttype", id="content type"),
        pytest.param(raised(dataschema="not a uri"), "dataschema", id="dataschema"),
        pytest.param(raised(traceparent="00-abc"), "traceparent", id="traceparent not W3C"),
        pytest.param(raised(source="/orgs/kingston-foodbank"), "source", id="source no system"),
        pytest.param(raised(source="orgs/kingston-foodbank/crm"), "source", id="source relative"),
        pytest.param(raised(id="has space"), "id", id="event id with space"),
    ],
)
def test_strictness(event: dict[str, Any], field: str) -> None:
    assert [problem.field for problem in problems_of(event)] == [field]
    assert [problem.field for problem in _json_problems(event)] == [field]


@pytest.mark.parametrize(
    "changes",
    [
        {"datacontenttype": "application/json"},
        {"dataschema": "https://tandem.example/schemas/resilience.request.raised.v1.json"},
        {"id": "6F1C7C1E-2B0E-4C4B-9F3B-0C7C5A1D2E3F"},
        {"time": "2020-03-23t10:00:00.123456789z"},
        {"time": "2020-03-23T23:59:59-12:00"},
    ],
)
def test_standard_variants_are_accepted(changes: dict[str, Any]) -> None:
    parse_event_obj(raised(**changes))


def test_optional_data_fields_may_be_null_or_absent_and_are_written_absent() -> None:
    with_null = parse_event_obj(raised_data(person_ref=None))
    event = raised()
    del event["data"]["person_ref"]
    assert with_null == parse_event_obj(event)
    assert "person_ref" not in event_to_obj(with_null)["data"]


def test_reasons_are_plain_words() -> None:
    problems = problems_of(raised_data(household_size=-1, need="groceries", extra=1))
    reasons = {problem.field: problem.reason for problem in problems}
    assert reasons == {
        "data.household_size": "must be an integer from 1 to 2,147,483,647",
        "data.need": "must be one of: food, prescription, shopping, befriending, welfare_check, "
        "transport, financial, other",
        "data.extra": "unknown field",
    }


@pytest.mark.parametrize("event", [raised(type="resilience.request.raised"), {"id": "x"}])
def test_unknown_or_missing_type_lists_the_allowed_types(event: dict[str, Any]) -> None:
    (problem,) = problems_of(event)
    assert problem.field == "type"
    assert all(event_type in problem.reason for event_type in ENVELOPE_MODELS)


def test_a_batch_reports_every_problem_of_every_event_by_index_and_id() -> None:
    batch = [
        raised(),
        raised_data(need="groceries", household_size="3"),
        raised(id="kfb-crm-0099"),
        raised(id="Bad Id", type="resilience.nope.v1"),
        7,
        raised(id=42, time="2020-03-23T10:00:00"),
    ]
    expected = [
        Problem(
            1,
            "kfb-crm-0001",
            "data.need",
            "must be one of: food, prescription, shopping, "
            "befriending, welfare_check, transport, financial, other",
        ),
        Problem(
            1, "kfb-crm-0001", "data.household_size", "must be an integer from 1 to 2,147,483,647"
        ),
        Problem(3, "Bad Id", "type", f"must be one of: {', '.join(ENVELOPE_MODELS)}"),
        Problem(4, None, "", "must be a JSON object (one event)"),
        Problem(5, None, "id", "must be 1 to 128 printable ASCII characters without spaces"),
        Problem(
            5, None, "time", "must be an RFC 3339 time with an offset, e.g. 2020-03-23T10:00:00Z"
        ),
    ]
    with pytest.raises(ContractError) as from_json:
        parse_batch_json(orjson.dumps(batch))
    with pytest.raises(ContractError) as from_objs:
        parse_batch_objs(batch)
    assert from_json.value.problems == expected
    assert from_objs.value.problems == expected
    assert "event 3 (id 'Bad Id'): type must be one of" in str(from_json.value)


def test_a_valid_batch_parses_in_order() -> None:
    events = [event for doc in FIXTURE_DOCS.values() for event in doc["valid"]]
    parsed = parse_batch_json(orjson.dumps(events))
    assert [event.id for event in parsed] == [event["id"] for event in events]
    assert parse_batch_objs(events) == parsed


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"[]", "must contain at least one event"),
        (b"{}", "must be a JSON array of events"),
        (b"", "is not valid JSON: EOF while parsing a value at line 1 column 0"),
        (b'[{"id": "x",', "is not valid JSON: EOF while parsing a value at line 1 column 12"),
        (b"\xff", "is not valid JSON"),
    ],
)
def test_a_batch_that_is_not_a_non_empty_array_is_one_body_problem(raw: bytes, reason: str) -> None:
    with pytest.raises(ContractError) as caught:
        parse_batch_json(raw)
    (problem,) = caught.value.problems
    assert (problem.index, problem.id, problem.field) == (None, None, "")
    assert problem.reason.startswith(reason)


def test_a_single_event_body_must_be_one_json_object() -> None:
    with pytest.raises(ContractError) as not_json:
        parse_event_json(b"{nope")
    with pytest.raises(ContractError) as array:
        parse_event_json(orjson.dumps([raised()]))
    assert [(p.field, p.reason.split(":")[0]) for p in not_json.value.problems] == [
        ("", "is not valid JSON")
    ]
    assert [(p.field, p.reason) for p in array.value.problems] == [
        ("", "must be a JSON object (one event)")
    ]


def test_contract_error_is_a_value_error_naming_field_and_reason() -> None:
    with pytest.raises(
        ValueError, match=r"body \(id 'kfb-crm-0001'\): data.shielding must be true"
    ):
        parse_event_obj(raised_data(shielding="yes"))


def test_contract_error_survives_pickling_with_its_problems() -> None:
    with pytest.raises(ContractError) as caught:
        parse_event_obj(raised_data(need="groceries"))
    copy = pickle.loads(pickle.dumps(caught.value))
    assert copy.problems == caught.value.problems
    assert str(copy) == str(caught.value)


@pytest.mark.parametrize(
    ("reason", "accepted"),
    [
        ("x" * 200, True),
        ("x" * 201, False),
        ("waiting list until 2020-04-06", True),
        ("ring 07700 900123", False),
        (" leading space", False),
        ("two\nlines", False),
    ],
)
def test_referral_reason_is_short_single_line_text_without_contact_details(
    reason: str, accepted: bool
) -> None:
    event = json.loads(json.dumps(FIXTURE_DOCS["resilience.request.referred.v1"]["valid"][0]))
    event["data"]["reason"] = reason
    if accepted:
        parse_event_obj(event)
    else:
        assert [problem.field for problem in problems_of(event)] == ["data.reason"]


def test_stood_down_incident_needs_an_empty_data_object() -> None:
    event = FIXTURE_DOCS["resilience.incident.stood_down.v1"]["valid"][0]
    assert event_to_obj(parse_event_obj(event))["data"] == {}


def test_from_is_only_ever_spelt_from_on_the_wire() -> None:
    event = FIXTURE_DOCS["resilience.stock.received.v1"]["valid"][0]
    parsed = parse_event_obj(event)
    assert isinstance(parsed.data, StockReceived)
    assert parsed.data.from_ == "donation"
    assert event_to_obj(parsed)["data"]["from"] == "donation"


def test_events_are_frozen_and_hashable() -> None:
    event = parse_event_obj(FIXTURE_DOCS["resilience.volunteer.registered.v1"]["valid"][0])
    assert isinstance(event.data, VolunteerRegistered)
    with pytest.raises(ValidationError):
        event.subject = "vol-1"
    with pytest.raises(ValidationError):
        event.data.hours_per_week = 1
    assert hash(event) == hash(parse_event_obj(event_to_obj(event)))


offsets = st.integers(min_value=-14 * 60, max_value=14 * 60).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
times = st.datetimes(
    min_value=datetime(1970, 1, 2), max_value=datetime(9998, 12, 30), timezones=st.just(UTC)
)


@given(moment=times, offset=offsets)
def test_time_keeps_the_offset_it_was_given(moment: datetime, offset: timezone) -> None:
    local = moment.astimezone(offset)
    parsed = parse_event_obj(raised(time=local.isoformat()))
    assert parsed.time == local
    assert parsed.time.utcoffset() == local.utcoffset()
    written = parse_event_json(event_to_json(parsed))
    assert written.time.utcoffset() == local.utcoffset()


@given(
    minutes=st.integers(min_value=14 * 60 + 1, max_value=23 * 60 + 59), sign=st.sampled_from("+-")
)
def test_an_offset_no_time_zone_has_is_refused(minutes: int, sign: str) -> None:
    # RFC 3339's syntax allows it, but PostgreSQL could not store it.
    time = f"2020-03-23T10:00:00{sign}{minutes // 60:02}:{minutes % 60:02}"
    (problem,) = problems_of(raised(time=time))
    assert (problem.field, problem.reason) == (
        "time",
        "must have an offset between -14:00 and +14:00, as time zones do",
    )


@given(quantity=st.integers(min_value=0, max_value=INTEGER_MAX))
def test_any_integer_figures_can_hold_is_a_quantity(quantity: int) -> None:
    event = json.loads(json.dumps(FIXTURE_DOCS["resilience.stock.counted.v1"]["valid"][0]))
    event["data"]["quantity"] = quantity
    assert parse_event_json(orjson.dumps(event)).data == parse_event_obj(event).data


@given(quantity=st.integers(min_value=INTEGER_MAX + 1, max_value=2**100))
def test_a_quantity_figures_cannot_hold_is_refused(quantity: int) -> None:
    event = json.loads(json.dumps(FIXTURE_DOCS["resilience.stock.counted.v1"]["valid"][0]))
    event["data"]["quantity"] = quantity
    (problem,) = problems_of(event)
    assert problem.field == "data.quantity"


@given(
    value=st.one_of(
        st.integers(min_value=-(2**63), max_value=-1),
        st.floats(allow_nan=False, allow_infinity=False),
        st.booleans(),
        st.text(),
        st.none(),
        st.lists(st.integers(min_value=0, max_value=2**63 - 1), max_size=2),
    )
)
def test_nothing_but_a_non_negative_integer_is_a_quantity(value: object) -> None:
    event = json.loads(json.dumps(FIXTURE_DOCS["resilience.stock.counted.v1"]["valid"][0]))
    event["data"]["quantity"] = value
    assert [problem.field for problem in _json_problems(event)] == ["data.quantity"]
    assert [problem.field for problem in problems_of(event)] == ["data.quantity"]
