"""The sitrep read from the figures tables: events go in through the aggregator's writer, the
report comes out of SQL, and it must equal both hand-worked numbers and the reference oracle."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from psycopg.pq import TransactionStatus

from services.figures.sitrep import Sitrep, sitrep
from services.figures.sitrep_markdown import render_markdown
from services.figures.writer import apply_batch
from services.settings import Settings
from services.simulate import build
from services.store.partners import Partner, add_partner
from tests.support.figures_tables import load
from tests.support.reference.sitrep import reference_sitrep
from tests.support.servers import running_gateway, tandem
from tests.support.sitrep_events import (
    EMPTY_SITREP,
    INCIDENT,
    SCENARIO,
    SCENARIO_SITREP,
    T,
    ago,
    capacity,
    hub_status,
    later,
    raised,
    registered,
    step,
    stock_event,
    volunteer,
)

MICROSECOND = timedelta(microseconds=1)

Events = list[dict[str, Any]]


@pytest.fixture
def conn(database_url: str) -> Iterator[psycopg.Connection[Any]]:
    with psycopg.connect(database_url) as connection:
        yield connection


def report(conn: psycopg.Connection[Any], at: datetime = T, run: str = "live") -> dict[str, Any]:
    return sitrep(conn, INCIDENT, at, run).model_dump(mode="json")


def assert_matches_oracle(conn: psycopg.Connection[Any], events: Events, at: datetime) -> None:
    assert report(conn, at) == reference_sitrep(events, INCIDENT, at), f"at {at.isoformat()}"


def times_around(events: Events) -> list[datetime]:
    """Every event time, a microsecond either side, and whole days beyond the last."""
    times = sorted({datetime.fromisoformat(e["time"]).astimezone(UTC) for e in events})
    around = {t + d for t in times for d in (-MICROSECOND, timedelta(0), MICROSECOND)}
    return sorted(around | {times[-1] + timedelta(days=days) for days in (1, 3, 8)})


# The whole report


def test_an_incident_without_events_has_every_key_and_other_incidents_and_runs_stay_out(
    conn: psycopg.Connection[Any],
) -> None:
    load(conn, [raised("r1", ago(hours=1), incident="drought-2025")])
    load(conn, [raised("r2", ago(hours=1))], run="exercise-1")
    assert report(conn) == EMPTY_SITREP
    assert report(conn, run="exercise-1")["requests"]["raised_total"] == 1


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_hand_worked_scenario_in_any_order_with_resends(
    conn: psycopg.Connection[Any], seed: int
) -> None:
    rng = random.Random(seed)
    arrivals = SCENARIO + rng.sample(SCENARIO, 8)
    rng.shuffle(arrivals)
    load(conn, arrivals, batch_size=rng.randint(1, 9))
    assert report(conn) == SCENARIO_SITREP


def test_the_scenario_at_every_event_time_and_either_side_matches_the_oracle(
    conn: psycopg.Connection[Any],
) -> None:
    load(conn, SCENARIO)
    for at in times_around(SCENARIO):
        assert_matches_oracle(conn, SCENARIO, at)


def test_the_demo_incident_matches_the_oracle_through_time(conn: psycopg.Connection[Any]) -> None:
    events = build("kingston-2020").events[:12000]
    load(conn, events, batch_size=1000)
    incident = str(events[0]["incident"])
    first = datetime.fromisoformat(str(events[0]["time"]))
    last = datetime.fromisoformat(str(events[-1]["time"]))
    rng = random.Random(11)
    for at in [first, last, *(first + (last - first) * rng.random() for _ in range(6))]:
        assert sitrep(conn, incident, at).model_dump(mode="json") == reference_sitrep(
            events, incident, at
        ), f"at {at.isoformat()}"


def test_at_is_utc_with_microseconds_only_when_there_are_some(
    conn: psycopg.Connection[Any],
) -> None:
    an_hour_east = datetime(2024, 3, 10, 13, 0, tzinfo=timezone(timedelta(hours=1)))
    assert report(conn, an_hour_east)["at"] == "2024-03-10T12:00:00Z"
    assert report(conn, an_hour_east + 500 * MICROSECOND)["at"] == "2024-03-10T12:00:00.000500Z"
    with pytest.raises(ValueError):
        sitrep(conn, INCIDENT, datetime(2024, 3, 10, 12, 0))


def test_the_report_reads_inside_a_transaction_the_caller_has_open(
    conn: psycopg.Connection[Any],
) -> None:
    apply_batch(conn, "live", [raised("r1", ago(hours=1))])
    assert report(conn)["requests"]["raised_total"] == 1
    assert conn.info.transaction_status == TransactionStatus.INTRANS
    conn.rollback()
    assert report(conn)["requests"]["raised_total"] == 0


# Requests: ties, window edges and exact rounding


def test_request_ties_and_window_edges(conn: psycopg.Connection[Any]) -> None:
    events = [
        # r1: accepted and fulfilled at one instant: fulfilled wins (ids would pick accepted).
        raised("r1", ago(hours=9)),
        step("fulfilled", "r1", ago(hours=1), event_id="r1-a"),
        step("accepted", "r1", ago(hours=1), event_id="r1-z"),
        # r2: accepted and declined at one instant: declined wins, still open.
        raised("r2", ago(hours=9)),
        step("declined", "r2", ago(hours=1), reason="no_capacity", event_id="r2-a"),
        step("accepted", "r2", ago(hours=1), event_id="r2-z"),
        # r3: raised and triaged at one instant: triaged wins.
        raised("r3", ago(hours=3), "shopping", "high", event_id="r3-z"),
        step("triaged", "r3", ago(hours=3), need="befriending", priority="urgent", event_id="r3-a"),
        # r4 raised exactly 72h before T, r9 a second later; r9 is cancelled only after T.
        raised("r4", ago(hours=72)),
        raised("r9", ago(hours=72, seconds=-1)),
        step("cancelled", "r9", later(seconds=1), reason="withdrawn"),
        # r5 raised exactly at T counts; r6 a microsecond later does not.
        raised("r5", later(), "prescription", "high"),
        raised("r6", later(microseconds=1)),
        # Fulfilled, never raised: r7 exactly 24h before T (outside), r8 just inside.
        step("fulfilled", "r7", ago(hours=24)),
        step("fulfilled", "r8", ago(hours=24, microseconds=-1)),
        # Referrals; the last one is after T.
        step("referred", "r10", ago(hours=2), "council", to_partner="foodbank"),
        step("referred", "r10", ago(hours=1), "council", to_partner="age-uk"),
        step("referred", "r10", later(hours=1), "age-uk", to_partner="foodbank"),
    ]
    load(conn, events)
    assert report(conn)["requests"] == {
        "raised_total": 6,  # r1, r2, r3, r4, r5, r9
        "open": 5,  # r2, r3, r4, r5, r9
        "open_by_need": {"food": 3, "befriending": 1, "prescription": 1},
        "open_by_priority": {"routine": 3, "urgent": 1, "high": 1},
        "open_over_72h": 1,  # r4
        "fulfilled_window": 2,  # r1, r8
        "median_hours_to_fulfil": 8.0,  # r1: 9h - 1h
        "declined_by_reason": {"no_capacity": 1},
    }
    assert report(conn)["referrals"] == [
        {"from": "council", "to": "age-uk", "count": 1},
        {"from": "council", "to": "foodbank", "count": 1},
    ]
    assert_matches_oracle(conn, events, T)


@pytest.mark.parametrize(
    ("seconds_to_fulfil", "median"),
    [
        ([0, 36], 0.01),  # 0.005h exactly; in double precision it would round to 0.0
        ([7200, 8100], 2.13),  # 2.125h exactly
        ([7649], 2.12),
        ([9630], 2.68),  # 2.675h exactly: as a double it is just below, and would round down
        ([3618], 1.01),  # 1.005h likewise
        ([5400, 10800, 9000], 2.5),
        ([1200], 0.33),
    ],
)
def test_the_median_is_exact_and_rounded_half_away_from_zero(
    conn: psycopg.Connection[Any], seconds_to_fulfil: list[int], median: float
) -> None:
    events = []
    for n, seconds in enumerate(seconds_to_fulfil):
        events.append(raised(f"r{n}", ago(hours=30)))
        events.append(step("fulfilled", f"r{n}", ago(hours=30, seconds=-seconds)))
    load(conn, events)
    assert report(conn)["requests"]["median_hours_to_fulfil"] == median
    assert_matches_oracle(conn, events, T)


# Volunteers


def test_volunteer_ties_and_deployments(conn: psycopg.Connection[Any]) -> None:
    def deployed(deployment: str, volunteer_id: str, time: str) -> dict[str, Any]:
        return volunteer(
            "deployed",
            time,
            deployment_id=deployment,
            volunteer_id=volunteer_id,
            area="riverside",
            role="delivery",
        )

    events = [
        # v1: registered, no availability event, never deployed.
        registered("v1", ago(days=10)),
        # v2: stood down and registered at one instant: the stand-down wins.
        registered("v2", ago(days=10)),
        volunteer("stood_down", ago(days=1), volunteer_id="v2", event_id="v2-a"),
        registered("v2", ago(days=1), event_id="v2-z"),
        # v3: registered again after a stand-down; two availability events at one instant,
        # the later id (available) wins; deployed.
        volunteer("stood_down", ago(days=5), volunteer_id="v3"),
        registered("v3", ago(days=1)),
        volunteer("availability", ago(hours=2), volunteer_id="v3", available=False, event_id="a1"),
        volunteer("availability", ago(hours=2), volunteer_id="v3", available=True, event_id="a2"),
        deployed("d0", "v3", ago(hours=1)),
        # v4: unavailable; deployed only after T.
        registered("v4", ago(days=2)),
        volunteer("availability", ago(days=1), volunteer_id="v4", available=False),
        deployed("d9", "v4", later(minutes=1)),
        # v5 registers after T.
        registered("v5", later(hours=1)),
        # d1 in, not out; d2 out before in (not deployed now); d3 out exactly at T; d4 out
        # exactly 24h before T (outside the window).
        volunteer("checked_in", ago(hours=3), deployment_id="d1"),
        volunteer("checked_out", ago(hours=5), deployment_id="d2", minutes=30),
        volunteer("checked_in", ago(hours=4), deployment_id="d2"),
        volunteer("checked_in", ago(hours=2), deployment_id="d3"),
        volunteer("checked_out", later(), deployment_id="d3", minutes=15),
        volunteer("checked_in", ago(hours=30), deployment_id="d4"),
        volunteer("checked_out", ago(hours=24), deployment_id="d4", minutes=100),
    ]
    load(conn, events)
    assert report(conn)["volunteers"] == {
        "registered": 3,  # v1, v3, v4
        "available": 2,  # v1, v3
        "deployed_now": 1,  # d1
        "never_deployed": 2,  # v1, v4
        "minutes_window": 45,  # d2 30, d3 15
    }
    assert_matches_oracle(conn, events, T)


# Stock, hubs and partners


def test_stock_levels_ties_cover_and_code_point_order(conn: psycopg.Connection[Any]) -> None:
    events = [
        # Two counts at one instant: the larger (ids would pick the smaller); a receipt at
        # that instant is in the count; a distribution before it only in the 7 days.
        stock_event("counted", "hub-b", "dry", 45, ago(days=1), event_id="t-a"),
        stock_event("counted", "hub-b", "dry", 40, ago(days=1), event_id="t-z"),
        stock_event("received", "hub-b", "dry", 10, ago(days=1)),
        stock_event("distributed", "hub-b", "dry", 14, ago(days=2)),
        # Below zero: -1 at 28 a week is -0.25 days, rounded away from zero.
        stock_event("counted", "hub.a", "dry", 27, ago(days=8)),
        stock_event("distributed", "hub.a", "dry", 28, ago(days=1)),
        # Never counted; a distribution exactly 7 days before T is outside the window.
        stock_event("received", "hub_a", "fresh", 20, ago(days=10)),
        stock_event("distributed", "hub_a", "fresh", 7, ago(days=7)),
        # A receipt exactly at T counts; a pair whose only event is after T has no line.
        stock_event("received", "huba", "baby", 3, later()),
        stock_event("received", "huba", "pet", 5, later(hours=1)),
    ]
    load(conn, events)
    assert report(conn)["stock"] == [
        {
            "hub_id": "hub-b",
            "item": "dry",
            "level": 45,
            "distributed_7d": 14,
            "days_of_cover": 22.5,
        },
        {
            "hub_id": "hub.a",
            "item": "dry",
            "level": -1,
            "distributed_7d": 28,
            "days_of_cover": -0.3,
        },
        {
            "hub_id": "hub_a",
            "item": "fresh",
            "level": 13,
            "distributed_7d": 0,
            "days_of_cover": None,
        },
        {"hub_id": "huba", "item": "baby", "level": 3, "distributed_7d": 0, "days_of_cover": None},
    ]
    assert_matches_oracle(conn, events, T)


def test_hubs_and_capacity_take_the_latest_by_time_then_event_id(
    conn: psycopg.Connection[Any],
) -> None:
    events = [
        hub_status("hub-a", "closed", 0, ago(hours=6), event_id="s2"),
        hub_status("hub-a", "open", 100, ago(hours=6), event_id="s1"),
        hub_status("hub-b", "limited", 40, ago(days=1)),
        hub_status("hub-b", "open", 120, ago(days=2)),
        hub_status("hub-b", "closed", 0, later(hours=1)),
        capacity("overwhelmed", ago(hours=1), "foodbank", event_id="cap-a"),
        capacity("normal", ago(hours=1), "foodbank", event_id="cap-b"),
        capacity("stretched", ago(hours=1), "council"),
        capacity("normal", ago(hours=3), "council"),
        capacity("overwhelmed", later(hours=1), "council"),
    ]
    load(conn, events)
    found = report(conn)
    assert found["hubs"] == [
        {"hub_id": "hub-a", "status": "closed", "parcels_per_day": 0},
        {"hub_id": "hub-b", "status": "limited", "parcels_per_day": 40},
    ]
    assert found["partners"] == [
        {
            "partner": "council",
            "events": 2,
            "requests_accepted": 0,
            "requests_fulfilled": 0,
            "capacity_status": "stretched",
        },
        {
            "partner": "foodbank",
            "events": 6,  # four hub statuses by T and two capacity events
            "requests_accepted": 0,
            "requests_fulfilled": 0,
            "capacity_status": "normal",
        },
    ]
    assert_matches_oracle(conn, events, T)


def partner_counts(conn: psycopg.Connection[Any], at: datetime) -> list[tuple[str, int, int, int]]:
    return [
        (p["partner"], p["events"], p["requests_accepted"], p["requests_fulfilled"])
        for p in report(conn, at)["partners"]
    ]


def test_partner_counts_add_whole_hours_to_the_hour_t_is_in(conn: psycopg.Connection[Any]) -> None:
    events = [
        raised("r1", "2024-03-10T10:15:00Z"),
        step("accepted", "r1", "2024-03-10T11:20:00Z"),
        raised("r2", "2024-03-10T11:59:59.999999Z"),
        step("fulfilled", "r1", "2024-03-10T12:00:00Z"),
        step("accepted", "r2", "2024-03-10T12:10:00+00:00"),
        raised("r3", "2024-03-10T12:30:00.000001Z"),
    ]
    load(conn, events)
    at = datetime.fromisoformat
    assert partner_counts(conn, at("2024-03-10T10:15:00Z")) == [("council", 1, 0, 0)]
    assert partner_counts(conn, at("2024-03-10T11:59:59.999999Z")) == [
        ("council", 2, 0, 0),
        ("foodbank", 1, 1, 0),
    ]
    assert partner_counts(conn, at("2024-03-10T12:00:00Z")) == [
        ("council", 2, 0, 0),
        ("foodbank", 2, 1, 1),
    ]
    assert partner_counts(conn, at("2024-03-10T12:30:00Z")) == [
        ("council", 2, 0, 0),
        ("foodbank", 3, 2, 1),
    ]
    for moment in times_around(events):
        assert_matches_oracle(conn, events, moment)


# Markdown


SMALL = Sitrep.model_validate(
    {
        "incident": "flood-2024",
        "at": "2024-03-10T12:00:00Z",
        "requests": {
            "raised_total": 1200,
            "open": 3,
            "open_by_need": {"food": 1, "welfare_check": 2},
            "open_by_priority": {"routine": 1, "urgent": 2},
            "open_over_72h": 1,
            "fulfilled_window": 4,
            "median_hours_to_fulfil": 5.75,
            "declined_by_reason": {},
        },
        "referrals": [{"from": "council", "to": "foodbank", "count": 2}],
        "volunteers": {
            "registered": 10,
            "available": 8,
            "deployed_now": 2,
            "never_deployed": 5,
            "minutes_window": 240,
        },
        "stock": [
            {
                "hub_id": "hub-a",
                "item": "food_parcel",
                "level": 5,
                "distributed_7d": 14,
                "days_of_cover": 2.5,
            },
            {
                "hub_id": "hub-a",
                "item": "dry",
                "level": 9,
                "distributed_7d": 0,
                "days_of_cover": None,
            },
        ],
        "hubs": [{"hub_id": "hub-a", "status": "limited", "parcels_per_day": 40}],
        "partners": [
            {
                "partner": "council",
                "events": 7,
                "requests_accepted": 0,
                "requests_fulfilled": 0,
                "capacity_status": None,
            },
            {
                "partner": "foodbank",
                "events": 1500,
                "requests_accepted": 3,
                "requests_fulfilled": 2,
                "capacity_status": "stretched",
            },
        ],
        "areas": [
            {
                "area": "hillside",
                "name": "Hillside",
                "open": 0,
                "urgent_open": 0,
                "unmet_urgent_over_4h": 0,
                "volunteers_registered": 0,
                "volunteers_available": 0,
                "deployments_window": 0,
                "minutes_window": 0,
                "hubs": [],
                "lowest_days_of_cover": None,
            },
            {
                "area": "riverside",
                "name": "Riverside",
                "open": 3,
                "urgent_open": 2,
                "unmet_urgent_over_4h": 1,
                "volunteers_registered": 10,
                "volunteers_available": 8,
                "deployments_window": 2,
                "minutes_window": 240,
                "hubs": ["hub-a"],
                "lowest_days_of_cover": 2.5,
            },
        ],
    }
)

SMALL_MARKDOWN = """\
# SitRep: flood-2024

As at 2024-03-10T12:00:00Z.

## Headline

| Figure | Now |
| --- | ---: |
| Requests open | 3 |
| … open over 72 hours | 1 |
| Requests raised in total | 1,200 |
| Requests fulfilled in the last 24 hours | 4 |
| Median time to fulfil | 5.75 h |
| Volunteers registered | 10 |
| Volunteers deployed now | 2 |
| Stock lines under 3 days of cover | 1 (hub-a food parcel) |
| Hubs not open | 1 |

## Open requests

By need:

| Need | Open |
| --- | ---: |
| welfare check | 2 |
| food | 1 |

By priority:

| Priority | Open |
| --- | ---: |
| urgent | 2 |
| routine | 1 |

## Declines and referrals

Declined, by reason:

_None._

Referrals between partners:

| From | To | Referrals |
| --- | --- | ---: |
| council | foodbank | 2 |

## Volunteers

| Volunteers | Now |
| --- | ---: |
| Registered | 10 |
| Available | 8 |
| Deployed now | 2 |
| Never deployed (to re-engage) | 5 |
| Minutes given in the last 24 hours | 240 |

## Stock

Days of cover at the last 7 days' rate of distribution; ⚠ marks under 3 days.

| Hub | Item | Level | Distributed, 7 days | Days of cover |
| --- | --- | ---: | ---: | ---: |
| hub-a | food parcel | 5 | 14 | 2.5 ⚠ |
| hub-a | dry | 9 | 0 | — (none distributed) |

## Hubs

| Hub | Status | Parcels per day |
| --- | --- | ---: |
| hub-a | limited | 40 |

## Areas

| Area | Open | Urgent | Urgent unmet > 4 h | Volunteers | Deployed, 24 h | Minutes, 24 h | Hubs |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |
| Riverside (riverside) | 3 | 2 | 1 | 8 free of 10 | 2 | 240 | hub-a (2.5 ⚠) |

Nothing to report in 1 other area.

## Partners

| Partner | Events published | Requests accepted | Requests fulfilled | Capacity |
| --- | ---: | ---: | ---: | --- |
| council | 7 | 0 | 0 | — |
| foodbank | 1,500 | 3 | 2 | stretched |
"""


def test_markdown_is_one_readable_page() -> None:
    assert render_markdown(SMALL) == SMALL_MARKDOWN


def test_markdown_does_not_depend_on_the_order_of_counts() -> None:
    figures = SMALL.model_dump(mode="json")
    for field in ("open_by_need", "open_by_priority"):
        figures["requests"][field] = dict(reversed(figures["requests"][field].items()))
    assert render_markdown(Sitrep.model_validate(figures)) == SMALL_MARKDOWN


def test_markdown_says_none_for_an_empty_section() -> None:
    empty = {**SCENARIO_SITREP, "stock": [], "hubs": [], "areas": []}
    text = render_markdown(Sitrep.model_validate(empty))
    assert "⚠ marks under 3 days.\n\n_None._\n\n## Hubs\n\n_None._\n\n## Areas\n\n_None._" in text
    assert text.endswith("| volunteer-centre | 6 | 0 | 0 | — |\n")


# The command line and HTTP give the function's report


def test_the_command_prints_the_functions_report(
    conn: psycopg.Connection[Any], database_url: str, tmp_path: Path
) -> None:
    load(conn, SCENARIO)
    load(conn, SCENARIO[:3], run="exercise-1")
    printed = tandem(database_url, tmp_path, "sitrep", "--incident", INCIDENT, "--at", later())
    assert printed.returncode == 0, printed.stderr
    assert json.loads(printed.stdout) == SCENARIO_SITREP

    in_run = tandem(
        database_url,
        tmp_path,
        "sitrep",
        "--incident",
        INCIDENT,
        "--at",
        later(),
        "--run",
        "exercise-1",
    )
    assert json.loads(in_run.stdout) == report(conn, run="exercise-1")

    markdown = tandem(
        database_url, tmp_path, "sitrep", "--incident", INCIDENT, "--at", later(), "--format", "md"
    )
    assert markdown.stdout == render_markdown(sitrep(conn, INCIDENT, T))

    now = tandem(database_url, tmp_path, "sitrep", "--incident", INCIDENT)
    assert now.returncode == 0
    assert json.loads(now.stdout)["requests"]["raised_total"] == 3


@pytest.mark.parametrize("at", ["2024-03-10", "2024-03-10T12:00:00", "yesterday"])
def test_the_command_refuses_a_time_that_is_not_rfc_3339(
    database_url: str, tmp_path: Path, at: str
) -> None:
    refused = tandem(database_url, tmp_path, "sitrep", "--incident", INCIDENT, "--at", at)
    assert refused.returncode == 1
    assert refused.stdout == ""
    assert refused.stderr.count("\n") == 1 and "RFC 3339" in refused.stderr


def test_the_command_says_in_one_line_when_the_database_is_unreachable(tmp_path: Path) -> None:
    refused = tandem("postgresql://nobody@127.0.0.1:1/none", tmp_path, "sitrep", "--incident", "x")
    assert refused.returncode == 1
    assert refused.stderr.startswith("tandem: could not read the figures")
    assert refused.stderr.count("\n") == 1


def test_http_gives_the_functions_report_to_a_partner_with_a_token(
    conn: psycopg.Connection[Any], database_url: str, tmp_path: Path
) -> None:
    load(conn, SCENARIO)
    load(conn, SCENARIO[:3], run="exercise-1")
    token = add_partner(conn, Partner("kingston-foodbank", "Kingston Foodbank"))
    settings = Settings(TANDEM_DATA_DIR=tmp_path / "data", DATABASE_URL=database_url)
    path = f"/v1/incidents/{INCIDENT}/sitrep"
    with running_gateway(settings) as url, httpx.Client(base_url=url) as client:
        bearer = {"Authorization": f"Bearer {token}"}
        assert client.get(path, params={"at": later()}).status_code == 401
        wrong = {"Authorization": "Bearer tdm_nope_nope"}
        assert client.get(path, params={"at": later()}, headers=wrong).status_code == 401

        found = client.get(path, params={"at": "2024-03-10T13:00:00+01:00"}, headers=bearer)
        assert (found.status_code, found.json()) == (200, SCENARIO_SITREP)

        in_run = client.get(path, params={"at": later(), "run": "exercise-1"}, headers=bearer)
        assert in_run.json() == report(conn, run="exercise-1")

        now = client.get(path, headers=bearer)
        assert now.status_code == 200 and now.json()["requests"]["raised_total"] == 3

        refused = client.get(path, params={"at": "2024-03-10T12:00:00"}, headers=bearer)
        assert refused.status_code == 422
        assert "RFC 3339" in refused.text

        too_early = client.get(path, params={"at": "0001-01-01T00:00:00Z"}, headers=bearer)
        assert too_early.status_code == 422 and "too early" in too_early.text
