"""Hand-worked sitreps for the reference oracle: every expected number is written out by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.support.reference.sitrep import reference_sitrep
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


def sitrep(events: list[dict[str, Any]], at: datetime = T) -> dict[str, Any]:
    return reference_sitrep(events, INCIDENT, at)


# Envelope: keys, `at`, incident, time and duplicates


def test_no_events_gives_every_key_with_empty_figures() -> None:
    assert sitrep([]) == EMPTY_SITREP


@pytest.mark.parametrize(
    ("at", "rendered"),
    [
        (datetime(2024, 3, 10, 13, 0, tzinfo=timezone(timedelta(hours=1))), "2024-03-10T12:00:00Z"),
        (datetime(2024, 3, 10, 12, 0, 0, 500, tzinfo=UTC), "2024-03-10T12:00:00.000500Z"),
        (datetime(2024, 3, 9, 23, 59, 59, 999999, tzinfo=UTC), "2024-03-09T23:59:59.999999Z"),
    ],
)
def test_at_is_rendered_in_utc_with_fractional_seconds_only_when_present(
    at: datetime, rendered: str
) -> None:
    assert sitrep([], at)["at"] == rendered


def test_a_naive_at_is_rejected() -> None:
    with pytest.raises(ValueError):
        sitrep([], datetime(2024, 3, 10, 12, 0))


def test_only_events_of_the_incident_with_time_at_or_before_t_count() -> None:
    events = [
        raised("r1", ago(hours=1)),
        raised("r2", "2024-03-10T07:00:00-05:00"),  # 12:00 UTC = T: counts
        raised("r3", "2024-03-10T13:30:00+01:00"),  # 12:30 UTC: late, after T
        raised("r4", later(microseconds=1)),
        raised("r5", ago(hours=1), incident="drought-2025"),
    ]
    report = sitrep(events)
    assert report["requests"]["raised_total"] == 2
    assert report["partners"] == [
        {
            "partner": "council",
            "events": 2,
            "requests_accepted": 0,
            "requests_fulfilled": 0,
            "capacity_status": None,
        }
    ]
    # The same events an hour later: r3 (12:30) and r4 now count too.
    assert sitrep(events, T + timedelta(hours=1))["requests"]["raised_total"] == 4


def test_a_resent_event_counts_once_but_the_same_id_from_another_source_counts_again() -> None:
    first = raised("r1", ago(hours=2), event_id="e1")
    same_id_other_partner = raised("r2", ago(hours=2), event_id="e1", partner="age-uk")
    report = sitrep([first, first, same_id_other_partner, first])
    # r1 once (the three copies are one event) and r2 from age-uk's own source.
    assert report["requests"]["raised_total"] == 2
    assert [(p["partner"], p["events"]) for p in report["partners"]] == [
        ("age-uk", 1),
        ("council", 1),
    ]


def test_a_late_event_that_arrives_after_a_duplicate_storm_changes_the_figures() -> None:
    fulfilled = step("fulfilled", "r1", ago(hours=3))
    events = [raised("r1", ago(hours=5)), raised("r2", ago(hours=5)), fulfilled, fulfilled]
    # r1 fulfilled, r2 open; then r2's cancellation from the morning arrives last.
    assert sitrep(events)["requests"]["open"] == 1
    events.append(step("cancelled", "r2", ago(hours=4), reason="withdrawn"))
    assert sitrep(events)["requests"]["open"] == 0


# Requests


def test_request_state_is_the_latest_lifecycle_event_by_time_not_by_arrival() -> None:
    events = [
        # r1: fulfilled arrives before it was raised; by time it is fulfilled, closed.
        step("fulfilled", "r1", ago(hours=5)),
        raised("r1", ago(hours=10)),
        # r2: fulfilled, then referred on later by time: latest is referred, open again.
        step("referred", "r2", ago(hours=2), to_partner="age-uk"),
        step("fulfilled", "r2", ago(hours=6)),
        raised("r2", ago(hours=10)),
        # r3: its cancellation happens after T, so at T it is still open.
        raised("r3", ago(hours=10)),
        step("cancelled", "r3", later(hours=1), reason="withdrawn"),
    ]
    requests = sitrep(events)["requests"]
    assert requests["raised_total"] == 3
    assert requests["open"] == 2  # r2, r3


def test_lifecycle_order_breaks_ties_at_equal_times() -> None:
    at_t1 = ago(hours=1)
    # Event ids are chosen so that the tie-break by id would pick the other event.
    events = [
        # r1: accepted and fulfilled at once; fulfilled is later in the lifecycle: closed.
        raised("r1", ago(hours=9)),
        step("fulfilled", "r1", at_t1, event_id="r1-a"),
        step("accepted", "r1", at_t1, event_id="r1-z"),
        # r2: referred and fulfilled at once: fulfilled wins: closed.
        raised("r2", ago(hours=9)),
        step("referred", "r2", at_t1, to_partner="age-uk", event_id="r2-z"),
        step("fulfilled", "r2", at_t1, event_id="r2-a"),
        # r3: raised and cancelled at the same instant: closed.
        step("cancelled", "r3", at_t1, reason="duplicate", event_id="r3-a"),
        raised("r3", at_t1, event_id="r3-z"),
        # r4: accepted and declined at once: declined wins, which is still open.
        raised("r4", ago(hours=9)),
        step("declined", "r4", at_t1, reason="no_capacity", event_id="r4-a"),
        step("accepted", "r4", at_t1, event_id="r4-z"),
        # r5: fulfilled and cancelled at once: cancelled wins, closed either way.
        raised("r5", ago(hours=9)),
        step("cancelled", "r5", at_t1, reason="withdrawn", event_id="r5-a"),
        step("fulfilled", "r5", at_t1, event_id="r5-z"),
    ]
    requests = sitrep(events)["requests"]
    assert requests["open"] == 1  # r4 only
    assert requests["open_by_need"] == {"food": 1}


def test_events_about_a_request_never_raised_open_nothing_but_still_count_elsewhere() -> None:
    events = [
        step("accepted", "r9", ago(hours=3)),
        step("declined", "r9", ago(hours=2), "age-uk", reason="out_of_area"),
        step("referred", "r9", ago(hours=2), "council", to_partner="foodbank"),
    ]
    report = sitrep(events)
    assert report["requests"]["raised_total"] == 0
    assert report["requests"]["open"] == 0
    assert report["requests"]["open_by_need"] == {}
    assert report["requests"]["declined_by_reason"] == {"out_of_area": 1}
    assert report["referrals"] == [{"from": "council", "to": "foodbank", "count": 1}]
    assert [(p["partner"], p["requests_accepted"]) for p in report["partners"]] == [
        ("age-uk", 0),
        ("council", 0),
        ("foodbank", 1),
    ]


def test_need_and_priority_are_those_of_the_latest_raised_or_triaged_event() -> None:
    events = [
        # r1: triaged later by time (arriving first): prescription / urgent.
        step("triaged", "r1", ago(hours=5), need="prescription", priority="urgent"),
        raised("r1", ago(hours=10), "food", "routine"),
        # r2: raised and triaged at the same time: triaged wins: befriending / routine
        # (ids chosen so that a tie-break by id would pick the raised event).
        raised("r2", ago(hours=3), "shopping", "high", event_id="r2-z"),
        step(
            "triaged", "r2", ago(hours=3), need="befriending", priority="routine", event_id="r2-a"
        ),
        # r3: triaged earlier by time than it was raised: the raised values stand.
        step("triaged", "r3", ago(hours=8), need="transport", priority="urgent"),
        raised("r3", ago(hours=4), "food", "high"),
        # r4: a referral changes neither: food / routine.
        raised("r4", ago(hours=2), "food", "routine"),
        step("referred", "r4", ago(hours=1), to_partner="age-uk"),
        # r5: closed, so its need and priority are not counted at all.
        raised("r5", ago(hours=2), "welfare_check", "urgent"),
        step("fulfilled", "r5", ago(hours=1)),
        # r6: a triage after T does not count yet: shopping / high.
        raised("r6", ago(hours=2), "shopping", "high"),
        step("triaged", "r6", later(minutes=1), need="financial", priority="urgent"),
    ]
    requests = sitrep(events)["requests"]
    assert requests["open"] == 5
    assert requests["open_by_need"] == {
        "prescription": 1,  # r1
        "befriending": 1,  # r2
        "food": 2,  # r3, r4
        "shopping": 1,  # r6
    }
    assert requests["open_by_priority"] == {
        "urgent": 1,  # r1
        "routine": 2,  # r2, r4
        "high": 2,  # r3, r6
    }


def test_open_over_72h_takes_the_earliest_raised_time_and_includes_exactly_72h() -> None:
    events = [
        raised("r1", ago(hours=72)),  # exactly T-72h: counts
        raised("r2", ago(hours=72, seconds=-1)),  # one second younger: does not
        raised("r3", ago(hours=100)),  # old but fulfilled: not open
        step("fulfilled", "r3", ago(hours=90)),
        raised("r4", ago(hours=10)),  # raised again, but first raised 80h ago: counts
        raised("r4", ago(hours=80)),
    ]
    requests = sitrep(events)["requests"]
    assert requests["raised_total"] == 4
    assert requests["open"] == 3  # r1, r2, r4
    assert requests["open_over_72h"] == 2  # r1, r4


def test_fulfilled_window_is_after_t_minus_24h_up_to_and_including_t() -> None:
    events = [
        step("fulfilled", "r1", ago(hours=24)),  # exactly T-24h: outside
        step("fulfilled", "r2", ago(hours=24, microseconds=-1)),  # just inside
        step("fulfilled", "r3", later()),  # exactly T: inside
        step("fulfilled", "r4", ago(hours=3)),  # fulfilled twice in the window: once
        step("fulfilled", "r4", ago(hours=2), "age-uk"),
        step("fulfilled", "r5", later(seconds=1)),  # after T
    ]
    assert sitrep(events)["requests"]["fulfilled_window"] == 3  # r2, r3, r4


def test_median_hours_uses_earliest_raised_and_first_fulfilled_of_every_fulfilled_request() -> None:
    events = [
        # r1: raised at -10h and -9h, fulfilled at -8h and -1h: 10h - 8h = 2h.
        raised("r1", ago(hours=9)),
        raised("r1", ago(hours=10)),
        step("fulfilled", "r1", ago(hours=1)),
        step("fulfilled", "r1", ago(hours=8)),
        # r2: 6h - 5h = 1h.
        raised("r2", ago(hours=6)),
        step("fulfilled", "r2", ago(hours=5)),
        # r3: 20h - 15h = 5h, and counted although it was reopened afterwards.
        raised("r3", ago(hours=20)),
        step("fulfilled", "r3", ago(hours=15)),
        step("referred", "r3", ago(hours=14), to_partner="age-uk"),
        # r4: fulfilled only after T: not yet a fulfilled request.
        raised("r4", ago(hours=3)),
        step("fulfilled", "r4", later(hours=1)),
        # r5: fulfilled but never raised: nothing to measure from.
        step("fulfilled", "r5", ago(hours=1)),
    ]
    # Median of [1, 2, 5] hours.
    assert sitrep(events)["requests"]["median_hours_to_fulfil"] == 2.0


@pytest.mark.parametrize(
    ("seconds_to_fulfil", "median"),
    [
        ([5400, 10800, 9000], 2.5),  # [1.5, 2.5, 3] hours: the middle one
        ([7200, 8100], 2.13),  # (2 + 2.25) / 2 = 2.125 exactly: half away from zero (not 2.12)
        ([7650], 2.13),  # 2h 7m 30s = 2.125 h
        ([7649], 2.12),  # 2.12472… h
        ([18], 0.01),  # 0.005 h exactly: half away from zero (not 0.00)
        ([1200], 0.33),  # 1/3 h
        ([2400], 0.67),  # 2/3 h
        ([0, 36, 36, 72], 0.01),  # (0.01 + 0.01) / 2
        ([0, 36], 0.01),  # (0 + 0.01) / 2 = 0.005 exactly
    ],
)
def test_median_hours_is_rounded_to_2_decimals_half_away_from_zero(
    seconds_to_fulfil: list[int], median: float
) -> None:
    events = []
    for n, seconds in enumerate(seconds_to_fulfil):
        events.append(raised(f"r{n}", ago(hours=30)))
        events.append(step("fulfilled", f"r{n}", ago(hours=30, seconds=-seconds)))
    assert sitrep(events)["requests"]["median_hours_to_fulfil"] == median


def test_median_hours_is_null_when_no_request_is_fulfilled() -> None:
    events = [raised("r1", ago(hours=3)), step("cancelled", "r1", ago(hours=2), reason="other")]
    assert sitrep(events)["requests"]["median_hours_to_fulfil"] is None


def test_declines_are_counted_per_event_by_reason() -> None:
    events = [
        raised("r1", ago(hours=9)),
        step("declined", "r1", ago(hours=8), "foodbank", reason="no_capacity"),
        step("declined", "r1", ago(hours=7), "age-uk", reason="no_capacity"),
        raised("r2", ago(hours=9)),
        step("declined", "r2", ago(hours=6), reason="out_of_area"),
        step("declined", "r2", later(minutes=5), "age-uk", reason="not_eligible"),
    ]
    assert sitrep(events)["requests"]["declined_by_reason"] == {
        "no_capacity": 2,
        "out_of_area": 1,
    }


def test_referrals_are_grouped_by_publisher_and_to_partner_and_sorted() -> None:
    events = [
        step("referred", "r1", ago(hours=5), "council", to_partner="mutual-aid"),
        step("referred", "r2", ago(hours=5), "council", to_partner="foodbank"),
        step("referred", "r3", ago(hours=5), "council", to_partner="foodbank"),
        step("referred", "r4", ago(hours=5), "age-uk", to_partner="mutual-aid", reason="nearer"),
        step("referred", "r5", ago(hours=5), "age-uk", to_partner="foodbank"),
        step("referred", "r6", ago(hours=5), "age-uk", to_partner="mutual-aid"),
        step("referred", "r7", later(hours=1), "age-uk", to_partner="foodbank"),
    ]
    # Count descending, then from, then to.
    assert sitrep(events)["referrals"] == [
        {"from": "age-uk", "to": "mutual-aid", "count": 2},
        {"from": "council", "to": "foodbank", "count": 2},
        {"from": "age-uk", "to": "foodbank", "count": 1},
        {"from": "council", "to": "mutual-aid", "count": 1},
    ]


# Volunteers


def test_registered_available_and_never_deployed_volunteers() -> None:
    events = [
        # v1: registered, no availability event (so available), never deployed.
        registered("v1", ago(days=10)),
        # v2: stood down: not registered.
        registered("v2", ago(days=10)),
        volunteer("stood_down", ago(days=5), volunteer_id="v2"),
        # v3: stood down then registered again; latest availability by time is unavailable;
        # deployed once.
        volunteer("stood_down", ago(days=5), volunteer_id="v3"),
        registered("v3", ago(days=1)),
        registered("v3", ago(days=10)),
        volunteer("availability", ago(hours=2), volunteer_id="v3", available=False),
        volunteer("availability", ago(hours=3), volunteer_id="v3", available=True),
        volunteer(
            "deployed", ago(hours=1), deployment_id="d1", volunteer_id="v3", area="x", role="other"
        ),
        # v4: registered and stood down at the same instant: stood down.
        # (ids chosen so that a tie-break by id would pick the registration).
        volunteer("stood_down", ago(days=1), volunteer_id="v4", event_id="v4-a"),
        registered("v4", ago(days=1), event_id="v4-z"),
        # v5: a stand-down without a registration.
        volunteer("stood_down", ago(days=1), volunteer_id="v5"),
        # v6: registers only after T.
        registered("v6", later(hours=1)),
        # v7: available; deployed only after T, so never deployed at T.
        registered("v7", ago(days=2)),
        volunteer("availability", ago(days=1), volunteer_id="v7", available=True),
        volunteer(
            "deployed",
            later(minutes=1),
            deployment_id="d2",
            volunteer_id="v7",
            area="x",
            role="other",
        ),
        # v8: unavailable, then available again.
        registered("v8", ago(days=2)),
        volunteer("availability", ago(hours=5), volunteer_id="v8", available=True),
        volunteer("availability", ago(hours=9), volunteer_id="v8", available=False),
        volunteer(
            "deployed", ago(hours=4), deployment_id="d3", volunteer_id="v8", area="x", role="other"
        ),
    ]
    volunteers = sitrep(events)["volunteers"]
    assert volunteers["registered"] == 4  # v1, v3, v7, v8
    assert volunteers["available"] == 3  # v1, v7, v8
    assert volunteers["never_deployed"] == 2  # v1, v7


def test_deployed_now_and_minutes_in_the_window() -> None:
    events = [
        # d1: checked in, not out: deployed now.
        volunteer("checked_in", ago(hours=3), deployment_id="d1"),
        # d2: in and out: 60 minutes in the window.
        volunteer("checked_out", ago(hours=4), deployment_id="d2", minutes=60),
        volunteer("checked_in", ago(hours=5), deployment_id="d2"),
        # d3: checks out after T: deployed now.
        volunteer("checked_in", ago(hours=2), deployment_id="d3"),
        volunteer("checked_out", later(hours=1), deployment_id="d3", minutes=180),
        # d4: checked out exactly at T-24h: outside the window.
        volunteer("checked_in", ago(hours=25), deployment_id="d4"),
        volunteer("checked_out", ago(hours=24), deployment_id="d4", minutes=30),
        # d5: checked out exactly at T: inside the window.
        volunteer("checked_in", ago(hours=1), deployment_id="d5"),
        volunteer("checked_out", later(), deployment_id="d5", minutes=15),
        # d6: a check-out with no check-in still gave its 10 minutes.
        volunteer("checked_out", ago(hours=1), deployment_id="d6", minutes=10),
    ]
    volunteers = sitrep(events)["volunteers"]
    assert volunteers["deployed_now"] == 2  # d1, d3
    assert volunteers["minutes_window"] == 85  # 60 + 15 + 10


# Stock and hubs


def test_stock_level_cover_and_order() -> None:
    events = [
        # hub-b/dry, never counted: 100 - 4 - 14 - 14 = 68. In the 7 days: only the 14 just
        # inside (the one at exactly T-7d is out). Cover 68 / (14 / 7) = 34.0.
        stock_event("distributed", "hub-b", "dry", 14, ago(days=7, seconds=-1)),
        stock_event("distributed", "hub-b", "dry", 14, ago(days=7)),
        stock_event("distributed", "hub-b", "dry", 4, ago(days=8)),
        stock_event("received", "hub-b", "dry", 100, ago(days=10)),
        # hub-b/baby: only an event after T, so no row.
        stock_event("received", "hub-b", "baby", 5, later(hours=1)),
        # hub-a/food_parcel: a receipt before the count and one at the same instant are
        # both in the count; then -30 +10; a distribution after T does not count.
        # Level 100 - 30 + 10 = 80; cover 80 / (30 / 7) = 18.666… -> 18.7.
        stock_event("distributed", "hub-a", "food_parcel", 5, later(hours=1)),
        stock_event("received", "hub-a", "food_parcel", 10, ago(hours=1)),
        stock_event("distributed", "hub-a", "food_parcel", 30, ago(days=1)),
        stock_event("received", "hub-a", "food_parcel", 20, ago(days=2)),
        stock_event("counted", "hub-a", "food_parcel", 100, ago(days=2)),
        stock_event("received", "hub-a", "food_parcel", 50, ago(days=3)),
        # hub-a/tinned: two counts at the same instant: the larger, 45. Nothing distributed.
        # (ids chosen so that a tie-break by id would pick the 40).
        stock_event("counted", "hub-a", "tinned", 45, ago(days=1), event_id="t-a"),
        stock_event("counted", "hub-a", "tinned", 40, ago(days=1), event_id="t-z"),
        # hub-b/fresh: the later count (arriving first) replaces the earlier one and what
        # came in between: 7.
        stock_event("counted", "hub-b", "fresh", 7, ago(days=1)),
        stock_event("received", "hub-b", "fresh", 5, ago(days=2)),
        stock_event("counted", "hub-b", "fresh", 10, ago(days=3)),
    ]
    assert sitrep(events)["stock"] == [
        {
            "hub_id": "hub-a",
            "item": "food_parcel",
            "level": 80,
            "distributed_7d": 30,
            "days_of_cover": 18.7,
        },
        {
            "hub_id": "hub-a",
            "item": "tinned",
            "level": 45,
            "distributed_7d": 0,
            "days_of_cover": None,
        },
        {
            "hub_id": "hub-b",
            "item": "dry",
            "level": 68,
            "distributed_7d": 14,
            "days_of_cover": 34.0,
        },
        {
            "hub_id": "hub-b",
            "item": "fresh",
            "level": 7,
            "distributed_7d": 0,
            "days_of_cover": None,
        },
    ]


@pytest.mark.parametrize(
    ("counted", "distributed", "level", "days_of_cover"),
    [
        (19, 14, 5, 2.5),  # 5 / 2
        (29, 28, 1, 0.3),  # 1 / 4 = 0.25: half away from zero (not 0.2)
        (27, 28, -1, -0.3),  # -0.25: half away from zero, downwards
        (12, 9, 3, 2.3),  # 3 / (9 / 7) = 7 / 3 = 2.333…
        (7, 7, 0, 0.0),  # empty shelves but still distributing
    ],
)
def test_days_of_cover_is_rounded_to_1_decimal_half_away_from_zero(
    counted: int, distributed: int, level: int, days_of_cover: float
) -> None:
    events = [
        stock_event("counted", "hub-a", "dry", counted, ago(days=8)),
        stock_event("distributed", "hub-a", "dry", distributed, ago(days=1)),
    ]
    (row,) = sitrep(events)["stock"]
    assert (row["level"], row["distributed_7d"], row["days_of_cover"]) == (
        level,
        distributed,
        days_of_cover,
    )


def test_hubs_take_the_latest_status_by_time_and_then_by_event_id() -> None:
    events = [
        hub_status("hub-b", "limited", 40, ago(days=1)),
        hub_status("hub-b", "open", 120, ago(days=2)),
        hub_status("hub-b", "closed", 0, later(hours=1)),
        hub_status("hub-a", "closed", 0, ago(hours=6), event_id="s2"),
        hub_status("hub-a", "open", 100, ago(hours=6), event_id="s1"),
        stock_event("counted", "hub-c", "dry", 10, ago(days=1)),  # no status: no hub row
    ]
    assert sitrep(events)["hubs"] == [
        {"hub_id": "hub-a", "status": "closed", "parcels_per_day": 0},
        {"hub_id": "hub-b", "status": "limited", "parcels_per_day": 40},
    ]


# Partners


def test_partners_events_lifecycle_counts_and_latest_capacity() -> None:
    fulfilled = step("fulfilled", "r1", ago(hours=2), "foodbank")
    events = [
        # council: 3 events; capacity latest by time is stretched (the later one is after T).
        raised("r1", ago(hours=5)),
        capacity("stretched", ago(hours=1), "council"),
        capacity("normal", ago(hours=3), "council"),
        capacity("overwhelmed", later(hours=1), "council"),
        # foodbank: 5 distinct events (the fulfilled one is re-sent); two capacity events at
        # the same instant: cap-b is the later id.
        step("accepted", "r1", ago(hours=4), "foodbank"),
        fulfilled,
        step("accepted", "r2", ago(hours=1), "foodbank"),
        fulfilled,
        capacity("overwhelmed", ago(hours=1), "foodbank", event_id="cap-a"),
        capacity("normal", ago(hours=1), "foodbank", event_id="cap-b"),
        # volunteer-centre: one event, no capacity.
        registered("v1", ago(days=1)),
        # age-uk publishes only in another incident; mutual-aid only after T.
        raised("r9", ago(hours=1), partner="age-uk", incident="drought-2025"),
        raised("r8", later(seconds=1), partner="mutual-aid"),
    ]
    assert sitrep(events)["partners"] == [
        {
            "partner": "council",
            "events": 3,
            "requests_accepted": 0,
            "requests_fulfilled": 0,
            "capacity_status": "stretched",
        },
        {
            "partner": "foodbank",
            "events": 5,
            "requests_accepted": 2,
            "requests_fulfilled": 1,
            "capacity_status": "normal",
        },
        {
            "partner": "volunteer-centre",
            "events": 1,
            "requests_accepted": 0,
            "requests_fulfilled": 0,
            "capacity_status": None,
        },
    ]


# The whole report, in any arrival order


@given(
    order=st.permutations(SCENARIO),
    resent=st.lists(st.sampled_from(SCENARIO), max_size=10),
)
def test_any_arrival_order_with_any_resends_gives_the_same_sitrep(
    order: list[dict[str, Any]], resent: list[dict[str, Any]]
) -> None:
    assert sitrep([*order, *resent]) == SCENARIO_SITREP
