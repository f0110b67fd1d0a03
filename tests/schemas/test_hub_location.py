"""A hub's place in `hub.status`: optional WGS84 `latitude` and `longitude`, both or neither,
added to v1 without breaking it. The pydantic models and the exported JSON Schema agree; the
gateway refuses half a place with a 422 naming the missing half; the figures keep the place."""

from __future__ import annotations

import copy
import json
from typing import Any

import psycopg
import pytest
from jsonschema import Draft202012Validator

from schemas import ContractError, parse_event_obj
from schemas.export import JSONSCHEMA_DIR
from tests.support.contract_fixtures import FIXTURE_DOCS
from tests.support.figures_tables import load
from tests.support.gateway_http import SINGLE, Gateway

HUB_STATUS = "resilience.hub.status.v1"
SCHEMA = Draft202012Validator(
    json.loads((JSONSCHEMA_DIR / f"{HUB_STATUS}.json").read_text(encoding="utf-8"))
)
UNION = Draft202012Validator(json.loads((JSONSCHEMA_DIR / "event.json").read_text("utf-8")))


def status(**place: Any) -> dict[str, Any]:
    """The fixture's hub.status (published without a place), with `place` in its data."""
    event: dict[str, Any] = copy.deepcopy(FIXTURE_DOCS[HUB_STATUS]["valid"][0])
    assert "latitude" not in event["data"] and "longitude" not in event["data"]
    event["data"].update(place)
    return event


def fields_refused(event: dict[str, Any]) -> list[str]:
    with pytest.raises(ContractError) as caught:
        parse_event_obj(event)
    return [problem.field for problem in caught.value.problems]


@pytest.mark.parametrize(
    "place",
    [
        {},
        {"latitude": 51.4112, "longitude": -0.3007},
        {"latitude": 90, "longitude": -180},
        {"latitude": -90.0, "longitude": 180.0},
        {"latitude": None, "longitude": None},
    ],
)
def test_a_hub_with_or_without_its_place_is_valid_by_models_and_schema(
    place: dict[str, Any],
) -> None:
    event = status(**place)
    parsed = parse_event_obj(event)
    assert (parsed.data.latitude, parsed.data.longitude) == (
        place.get("latitude"),
        place.get("longitude"),
    )
    SCHEMA.validate(event)
    UNION.validate(event)


@pytest.mark.parametrize(
    ("place", "field"),
    [
        ({"latitude": 51.4112}, "data.longitude"),
        ({"longitude": -0.3007}, "data.latitude"),
        ({"latitude": 51.4112, "longitude": None}, "data.longitude"),
        ({"latitude": 168443.9, "longitude": -0.3007}, "data.latitude"),
        ({"latitude": 51.4112, "longitude": 517210.3}, "data.longitude"),
        ({"latitude": -90.5, "longitude": 0}, "data.latitude"),
        ({"latitude": "51.4", "longitude": -0.3}, "data.latitude"),
        ({"latitude": True, "longitude": -0.3}, "data.latitude"),
    ],
)
def test_half_a_place_or_one_out_of_range_is_refused_by_models_and_schema(
    place: dict[str, Any], field: str
) -> None:
    event = status(**place)
    assert fields_refused(event) == [field]
    assert not SCHEMA.is_valid(event)
    assert not UNION.is_valid(event)


def test_the_reason_for_half_a_place_names_the_missing_half() -> None:
    with pytest.raises(ContractError) as caught:
        parse_event_obj(status(longitude=-0.3007))
    (problem,) = caught.value.problems
    assert problem.reason == (
        "is required when data.longitude is given: a hub's place is both or neither"
    )


def test_the_gateway_answers_half_a_place_with_422_and_takes_a_whole_one(
    gateway: Gateway,
) -> None:
    half = status(latitude=51.4112)
    refused = gateway.post(half, media_type=SINGLE)
    assert refused.status_code == 422
    [problem] = refused.json()["problems"]
    assert problem["field"] == "data.longitude"
    assert "both or neither" in problem["reason"]
    whole = status(latitude=51.4112, longitude=-0.3007)
    accepted = gateway.post(whole, media_type=SINGLE)
    assert accepted.status_code == 202, accepted.text
    assert gateway.stored_ids() == [whole["id"]]


def test_the_figures_keep_the_place_and_none_without(database_url: str) -> None:
    located = status(latitude=51.4112, longitude=-0.3007)
    unlocated = status()
    unlocated["id"] = "kfb-hub-0003"
    with psycopg.connect(database_url) as conn:
        load(conn, [located, unlocated])
        rows = conn.execute("SELECT id, latitude, longitude FROM hub_status ORDER BY id").fetchall()
    assert rows == [("kfb-hub-0001", 51.4112, -0.3007), ("kfb-hub-0003", None, None)]
