"""The Kingston 2020 demo checked against spec/events.md, written out here independently."""

from __future__ import annotations

import itertools
import re
import time
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from typing import Any

import pytest

from services.simulate import SCENARIOS, Scenario, build
from services.simulate.demo_stream import in_turn
from tests.support.reference.authority import Authority

Event = dict[str, Any]

ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
ENVELOPE = {"specversion", "id", "source", "type", "time", "subject", "partner", "incident", "data"}
OPTIONAL_ENVELOPE = {"datacontenttype"}

NEEDS = {
    "food",
    "prescription",
    "shopping",
    "befriending",
    "welfare_check",
    "transport",
    "financial",
    "other",
}
PRIORITIES = {"urgent", "high", "routine"}
CHANNELS = {"helpline", "referral", "online", "walk_in"}
SKILLS = {
    "driving",
    "dbs_checked",
    "befriending",
    "shopping",
    "food_handling",
    "first_aid",
    "languages",
    "admin",
}
ITEMS = {"food_parcel", "tinned", "dry", "fresh", "hygiene", "baby", "pet"}

# type -> (required data fields, optional data fields), as in spec/events.md.
FIELDS: dict[str, tuple[set[str], set[str]]] = {
    "request.raised": (
        {"request_id", "need", "priority", "area", "household_size", "shielding", "channel"},
        {"person_ref"},
    ),
    "request.triaged": ({"request_id", "priority", "need"}, set()),
    "request.referred": ({"request_id", "to_partner"}, {"reason"}),
    "request.accepted": ({"request_id"}, set()),
    "request.declined": ({"request_id", "reason"}, set()),
    "request.fulfilled": ({"request_id"}, {"volunteer_minutes"}),
    "request.cancelled": ({"request_id", "reason"}, set()),
    "volunteer.registered": ({"volunteer_id", "skills", "areas", "hours_per_week"}, set()),
    "volunteer.availability": ({"volunteer_id", "available"}, set()),
    "volunteer.deployed": (
        {"deployment_id", "volunteer_id", "area", "role"},
        {"request_id", "hub_id"},
    ),
    "volunteer.checked_in": ({"deployment_id"}, set()),
    "volunteer.checked_out": ({"deployment_id", "minutes"}, set()),
    "volunteer.stood_down": ({"volunteer_id"}, {"reason"}),
    "hub.status": (
        {"hub_id", "name", "area", "status", "parcels_per_day", "latitude", "longitude"},
        set(),
    ),
    "stock.counted": ({"hub_id", "item", "quantity"}, set()),
    "stock.received": ({"hub_id", "item", "quantity", "from"}, set()),
    "stock.distributed": ({"hub_id", "item", "quantity"}, {"households", "request_id"}),
    "partner.capacity": ({"need", "capacity_per_day", "status"}, set()),
    "incident.declared": ({"name", "level"}, set()),
    "incident.stood_down": (set(), set()),
}
ENUMS: dict[tuple[str, str], set[str]] = {
    ("request.raised", "need"): NEEDS,
    ("request.raised", "priority"): PRIORITIES,
    ("request.raised", "channel"): CHANNELS,
    ("request.triaged", "need"): NEEDS,
    ("request.triaged", "priority"): PRIORITIES,
    ("request.declined", "reason"): {
        "no_capacity",
        "out_of_area",
        "not_eligible",
        "duplicate",
        "other",
    },
    ("request.cancelled", "reason"): {"withdrawn", "unreachable", "duplicate", "other"},
    ("volunteer.deployed", "role"): {
        "delivery",
        "hub_shift",
        "befriending_call",
        "driving",
        "other",
    },
    ("hub.status", "status"): {"open", "limited", "closed"},
    ("stock.counted", "item"): ITEMS,
    ("stock.received", "item"): ITEMS,
    ("stock.distributed", "item"): ITEMS,
    ("stock.received", "from"): {"donation", "purchase", "transfer"},
    ("partner.capacity", "need"): NEEDS,
    ("partner.capacity", "status"): {"normal", "stretched", "overwhelmed"},
}
ID_FIELDS = {"request_id", "volunteer_id", "deployment_id", "hub_id", "area", "to_partner"}
COUNT_FIELDS = {
    "household_size",
    "hours_per_week",
    "minutes",
    "volunteer_minutes",
    "parcels_per_day",
    "quantity",
    "households",
    "capacity_per_day",
}


def kind(event: Event) -> str:
    """`resilience.request.raised.v1` -> `request.raised`."""
    prefix, domain, action, version = event["type"].split(".")
    assert (prefix, version) == ("resilience", "v1")
    return f"{domain}.{action}"


def at(event: Event) -> datetime:
    return datetime.fromisoformat(event["time"])


def of(events: list[Event], *kinds: str) -> list[Event]:
    return [e for e in events if kind(e) in kinds]


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return build("kingston-2020")


@pytest.fixture(scope="module")
def events(scenario: Scenario) -> list[Event]:
    return scenario.events


def test_same_seed_gives_the_same_events(events: list[Event]) -> None:
    assert build("kingston-2020", 2020).events == events
    assert build("kingston-2020", 7).events != events


def test_unknown_scenario_names_the_known_ones() -> None:
    with pytest.raises(KeyError) as raised:
        build("atlantis-1999")
    assert "kingston-2020" in str(raised.value)
    assert set(SCENARIOS) == {"kingston-2020"}


def test_generates_quickly() -> None:
    started = time.perf_counter()
    build("kingston-2020", 11)
    assert time.perf_counter() - started < 5


def test_size_and_partners(scenario: Scenario, events: list[Event]) -> None:
    assert 25_000 <= len(events) <= 50_000
    assert 5 <= len(scenario.partners) <= 8
    assert {p.kind for p in scenario.partners} >= {"council", "volunteer_centre", "foodbank"}
    assert {e["partner"] for e in events} == {p.id for p in scenario.partners}


def test_envelope_is_exactly_the_spec(scenario: Scenario, events: list[Event]) -> None:
    for event in events:
        assert ENVELOPE <= event.keys() <= ENVELOPE | OPTIONAL_ENVELOPE, event
        assert event["specversion"] == "1.0"
        assert event["incident"] == scenario.incident == "kingston-2020-demo"
        assert ID.match(event["id"]), event["id"]
        assert ID.match(event["partner"]), event["partner"]
        assert re.fullmatch(rf"/orgs/{re.escape(event['partner'])}/[a-z0-9-]+", event["source"])
        assert at(event).utcoffset() is not None, event["time"]
        assert isinstance(event["subject"], str) and event["subject"]


def test_data_has_exactly_the_fields_of_its_type(events: list[Event]) -> None:
    for event in events:
        required, optional = FIELDS[kind(event)]
        assert required <= event["data"].keys() <= required | optional, event


def test_values_are_valid(events: list[Event]) -> None:
    for event in events:
        name = kind(event)
        for field, value in event["data"].items():
            if (name, field) in ENUMS:
                assert value in ENUMS[name, field], (name, field, value)
            if field in ID_FIELDS:
                assert ID.match(value), (field, value)
            if field in COUNT_FIELDS:
                assert type(value) is int and value >= 0, (field, value)
        data = event["data"]
        if name == "request.raised":
            assert data["household_size"] >= 1 and isinstance(data["shielding"], bool)
            assert re.fullmatch(r"p-\d{6}", data.get("person_ref", "p-000000"))
        if name == "request.referred":
            assert len(data.get("reason", "")) <= 200
        if name == "volunteer.registered":
            assert data["skills"] and set(data["skills"]) <= SKILLS
            assert data["areas"] and all(ID.match(a) for a in data["areas"])
        if name == "volunteer.availability":
            assert isinstance(data["available"], bool)


def test_subject_is_the_entity(events: list[Event]) -> None:
    for event in events:
        domain = kind(event).split(".")[0]
        data = event["data"]
        expected = {
            "request": data.get("request_id"),
            "hub": data.get("hub_id"),
            "stock": data.get("hub_id"),
            "partner": event["partner"],
            "incident": event["incident"],
            "volunteer": data.get("deployment_id") or data.get("volunteer_id"),
        }[domain]
        assert event["subject"] == expected, event


def test_ids_are_unique_per_source(events: list[Event]) -> None:
    ids = Counter((e["source"], e["id"]) for e in events)
    assert ids.most_common(1)[0][1] == 1


def test_declared_first_sorted_and_labelled_synthetic(events: list[Event]) -> None:
    declared = events[0]
    assert kind(declared) == "incident.declared"
    assert declared["data"]["level"] == 3
    assert "synthetic demo" in declared["data"]["name"]
    assert declared["time"].startswith("2020-03-16")
    times = [at(e) for e in events]
    assert times == sorted(times)
    assert times[1] > times[0]
    assert times[-1] - times[0] <= timedelta(weeks=7)


def test_request_lifecycles_are_causal(events: list[Event]) -> None:
    """Walks each request's events in time order as the state machine of the spec."""
    by_request: dict[str, list[Event]] = defaultdict(list)
    for event in of(events, *(k for k in FIELDS if k.startswith("request."))):
        by_request[event["data"]["request_id"]].append(event)
    for request_id, lifecycle in by_request.items():
        times = [at(e) for e in lifecycle]
        assert times == sorted(set(times)), f"{request_id}: ties or disorder"
        raised, *rest = lifecycle
        assert kind(raised) == "request.raised"
        holder, previous = raised["partner"], "request.raised"
        for event in rest:
            step = kind(event)
            assert previous not in ("request.fulfilled", "request.cancelled"), request_id
            if step == "request.triaged":
                assert previous == "request.raised" and event["partner"] == holder
            elif step == "request.referred":
                assert previous in ("request.raised", "request.triaged", "request.declined")
                assert event["partner"] == raised["partner"] != event["data"]["to_partner"]
                holder = event["data"]["to_partner"]
            elif step in ("request.accepted", "request.declined"):
                if previous == "request.declined":  # the raiser takes it back
                    holder = raised["partner"]
                assert step == "request.accepted" or previous == "request.referred"
                assert event["partner"] == holder, request_id
            elif step == "request.fulfilled":
                assert previous == "request.accepted" and event["partner"] == holder
            else:
                assert previous in ("request.accepted", "request.declined"), request_id
            previous = step


def test_requests_cover_every_need_and_leave_a_backlog(events: list[Event]) -> None:
    raised = of(events, "request.raised")
    assert 4_000 <= len(raised) <= 6_000
    for field, values in (("need", NEEDS), ("priority", PRIORITIES), ("channel", CHANNELS)):
        assert {e["data"][field] for e in raised} == values
    closed = {
        e["data"]["request_id"]: at(e) for e in of(events, "request.fulfilled", "request.cancelled")
    }
    end = at(events[-1])
    open_requests = [e for e in raised if e["data"]["request_id"] not in closed]
    assert len(open_requests) >= 20
    waits = [closed.get(e["data"]["request_id"], end) - at(e) for e in raised]
    assert sum(w > timedelta(hours=72) for w in waits) >= 20
    assert len(of(events, "request.declined")) >= 20


def test_rise_then_plateau(events: list[Event]) -> None:
    per_week = Counter((at(e) - at(events[0])).days // 7 for e in of(events, "request.raised"))
    assert per_week[0] < per_week[1] < per_week[2]
    assert abs(per_week[4] - per_week[3]) < 0.15 * per_week[3]


def test_referrals_run_between_partners(events: list[Event]) -> None:
    pairs = {(e["partner"], e["data"]["to_partner"]) for e in of(events, "request.referred")}
    assert len(pairs) >= 3
    assert ("rbk-council", "kingston-foodbank") in pairs
    assert ("rbk-council", "age-uk-kingston") in pairs


def test_deployments_are_causal_and_match_fulfilment(events: list[Event]) -> None:
    registered = {e["data"]["volunteer_id"]: at(e) for e in of(events, "volunteer.registered")}
    stood_down = {e["data"]["volunteer_id"]: at(e) for e in of(events, "volunteer.stood_down")}
    steps: dict[str, dict[str, Event]] = defaultdict(dict)
    for event in of(events, "volunteer.deployed", "volunteer.checked_in", "volunteer.checked_out"):
        steps[event["data"]["deployment_id"]][kind(event)] = event
    out_by_request: dict[str, Event] = {}
    for deployment_id, by_kind in steps.items():
        deployed = by_kind["volunteer.deployed"]
        volunteer = deployed["data"]["volunteer_id"]
        assert registered[volunteer] < at(deployed), deployment_id
        assert at(deployed) < stood_down.get(volunteer, at(events[-1]) + timedelta(1))
        if "volunteer.checked_in" in by_kind:
            assert at(deployed) < at(by_kind["volunteer.checked_in"])
        if "volunteer.checked_out" in by_kind:
            checked_out = by_kind["volunteer.checked_out"]
            assert at(by_kind["volunteer.checked_in"]) < at(checked_out)
            assert checked_out["data"]["minutes"] > 0
            if "request_id" in deployed["data"]:
                out_by_request[deployed["data"]["request_id"]] = checked_out
    for fulfilled in of(events, "request.fulfilled"):
        if "volunteer_minutes" in fulfilled["data"]:
            checked_out = out_by_request[fulfilled["data"]["request_id"]]
            assert at(checked_out) < at(fulfilled)
            assert checked_out["data"]["minutes"] == fulfilled["data"]["volunteer_minutes"]
    roles = Counter(e["data"]["role"] for e in of(events, "volunteer.deployed"))
    assert roles["hub_shift"] > 0 and roles["delivery"] > 0


def test_no_volunteer_is_in_two_places_at_once(events: list[Event]) -> None:
    spans: dict[str, list[tuple[datetime, datetime]]] = defaultdict(list)
    deployed = {e["data"]["deployment_id"]: e for e in of(events, "volunteer.deployed")}
    for checked_out in of(events, "volunteer.checked_out"):
        start = deployed[checked_out["data"]["deployment_id"]]
        spans[start["data"]["volunteer_id"]].append((at(start), at(checked_out)))
    for volunteer, intervals in spans.items():
        intervals.sort()
        for (_, ended), (began, _) in itertools.pairwise(intervals):
            assert ended <= began, volunteer


def test_most_volunteers_sign_up_early_and_many_are_never_deployed(
    events: list[Event],
) -> None:
    registered = of(events, "volunteer.registered")
    assert 1_100 <= len(registered) <= 1_300
    start = at(events[0])
    early = [e for e in registered if at(e) - start < timedelta(weeks=3)]
    assert len(early) > 0.8 * len(registered)
    deployed = {e["data"]["volunteer_id"] for e in of(events, "volunteer.deployed")}
    never = 1 - len(deployed) / len(registered)
    assert 0.5 < never < 0.7
    assert of(events, "volunteer.stood_down") and of(events, "volunteer.availability")


def test_a_hub_runs_low(events: list[Event]) -> None:
    """Days of cover at each count: the level over the last week's average daily use."""
    used: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for event in of(events, "stock.distributed"):
        used[event["data"]["hub_id"], event["data"]["item"]][event["time"][:10]] += event["data"][
            "quantity"
        ]
    covers = []
    for count in of(events, "stock.counted"):
        key = count["data"]["hub_id"], count["data"]["item"]
        day = at(count)
        week = [(day - timedelta(days=n)).date().isoformat() for n in range(1, 8)]
        daily = sum(used[key][d] for d in week) / 7
        if daily:
            covers.append(count["data"]["quantity"] / daily)
    assert min(covers) < 3
    assert sum(c < 3 for c in covers) < 0.3 * len(covers)


def test_stock_never_goes_below_zero(events: list[Event]) -> None:
    """Levels by the spec's rule: last count, plus received, minus distributed since."""
    level: dict[tuple[str, str], int] = defaultdict(int)
    for event in of(events, "stock.counted", "stock.received", "stock.distributed"):
        key = event["data"]["hub_id"], event["data"]["item"]
        quantity = event["data"]["quantity"]
        if kind(event) == "stock.counted":
            level[key] = quantity
        else:
            level[key] += quantity if kind(event) == "stock.received" else -quantity
            assert level[key] >= 0, event


def test_a_hub_goes_limited_then_closed(events: list[Event]) -> None:
    statuses: dict[str, list[str]] = defaultdict(list)
    for event in of(events, "hub.status"):
        statuses[event["data"]["hub_id"]].append(event["data"]["status"])
    assert 3 <= len(statuses) <= 4
    assert any(s[-3:] == ["limited", "closed", "open"] for s in statuses.values())


def test_partners_get_stretched_and_briefly_overwhelmed(events: list[Event]) -> None:
    statuses = Counter(e["data"]["status"] for e in of(events, "partner.capacity"))
    assert statuses["stretched"] > 0
    assert 0 < statuses["overwhelmed"] < statuses["stretched"]


@pytest.mark.parametrize("tick_events", [1, 40, 2000])
def test_the_demo_is_authorised_in_the_order_it_is_sent(tick_events: int) -> None:
    """The demo stream (and the fault suite's steady stream) send each tick's events in turn:
    every batch passes the door's rule of who may say what, however many events a tick holds
    (the spec's rule, written independently in tests/support/reference/authority.py)."""
    events = build("kingston-2020").events
    authority = Authority()
    for start in range(0, len(events), tick_events):
        for partner, batch in in_turn(events[start : start + tick_events]):
            assert {e["partner"] for e in batch} == {partner}
            refused = authority.offer(batch)
            assert refused is None, (refused, [(e["type"], e["subject"]) for e in batch])
    assert len(authority.owners) > 1000 and len(authority.involved) > 1000
