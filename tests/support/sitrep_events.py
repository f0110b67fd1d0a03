"""Events for the sitrep at a fixed T, written as a partner would publish them, and the
hand-worked scenario with its sitrep (every expected number worked out by hand)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

INCIDENT = "flood-2024"
T = datetime(2024, 3, 10, 12, 0, tzinfo=UTC)
_event_ids = itertools.count(1)


def ago(**delta: float) -> str:
    return (T - timedelta(**delta)).isoformat()


def later(**delta: float) -> str:
    return (T + timedelta(**delta)).isoformat()


def event(
    kind: str,
    time: str,
    partner: str = "council",
    *,
    event_id: str | None = None,
    incident: str = INCIDENT,
    **data: Any,
) -> dict[str, Any]:
    """A wire event as a partner would publish it; ids are unique unless given."""
    subject_fields = ("request_id", "deployment_id", "volunteer_id", "hub_id")
    return {
        "specversion": "1.0",
        "id": event_id or f"evt-{next(_event_ids)}",
        "source": f"/orgs/{partner}/system",
        "type": f"resilience.{kind}.v1",
        "time": time,
        "subject": next((data[field] for field in subject_fields if field in data), partner),
        "partner": partner,
        "incident": incident,
        "data": data,
    }


def raised(
    request_id: str,
    time: str,
    need: str = "food",
    priority: str = "routine",
    area: str = "riverside",
    **envelope: Any,
) -> dict[str, Any]:
    return event(
        "request.raised",
        time,
        request_id=request_id,
        need=need,
        priority=priority,
        area=area,
        household_size=2,
        shielding=False,
        channel="helpline",
        **envelope,
    )


def step(stage: str, request_id: str, time: str, partner: str = "foodbank", **data: Any) -> Any:
    return event(f"request.{stage}", time, partner, request_id=request_id, **data)


def registered(volunteer_id: str, time: str, **envelope: Any) -> dict[str, Any]:
    return event(
        "volunteer.registered",
        time,
        "volunteer-centre",
        volunteer_id=volunteer_id,
        skills=["driving"],
        areas=["riverside"],
        hours_per_week=4,
        **envelope,
    )


def volunteer(kind: str, time: str, **data: Any) -> dict[str, Any]:
    return event(f"volunteer.{kind}", time, "volunteer-centre", **data)


def stock_event(
    kind: str, hub_id: str, item: str, quantity: int, time: str, **envelope: Any
) -> dict[str, Any]:
    extra: dict[str, Any] = {"from": "donation"} if kind == "received" else {}
    return event(
        f"stock.{kind}",
        time,
        "foodbank",
        hub_id=hub_id,
        item=item,
        quantity=quantity,
        **extra,
        **envelope,
    )


EMPTY_SITREP = {
    "incident": INCIDENT,
    "at": "2024-03-10T12:00:00Z",
    "requests": {
        "raised_total": 0,
        "open": 0,
        "open_by_need": {},
        "open_by_priority": {},
        "open_over_72h": 0,
        "fulfilled_window": 0,
        "median_hours_to_fulfil": None,
        "declined_by_reason": {},
    },
    "referrals": [],
    "volunteers": {
        "registered": 0,
        "available": 0,
        "deployed_now": 0,
        "never_deployed": 0,
        "minutes_window": 0,
    },
    "stock": [],
    "hubs": [],
    "partners": [],
    "areas": [],
}


def hub_status(
    hub_id: str, status: str, parcels: int, time: str, area: str = "riverside", **envelope: Any
) -> Any:
    return event(
        "hub.status",
        time,
        "foodbank",
        hub_id=hub_id,
        name=hub_id.upper(),
        area=area,
        status=status,
        parcels_per_day=parcels,
        **envelope,
    )


def capacity(status: str, time: str, partner: str, **envelope: Any) -> Any:
    return event(
        "partner.capacity",
        time,
        partner,
        need="food",
        capacity_per_day=50,
        status=status,
        **envelope,
    )


SCENARIO = [
    raised("s1", ago(hours=80), "food", "urgent"),
    step("triaged", "s1", ago(hours=70), need="shopping", priority="high"),
    raised("s2", ago(hours=30), "prescription"),
    step("accepted", "s2", ago(hours=29)),
    step("fulfilled", "s2", ago(hours=27, minutes=30)),
    raised("s3", ago(hours=10)),
    step("referred", "s3", ago(hours=9), "council", to_partner="foodbank"),
    step("declined", "s3", ago(hours=8), reason="no_capacity"),
    step("fulfilled", "s3", ago(hours=1), "age-uk"),
    step("cancelled", "s1", later(hours=2), reason="withdrawn"),
    registered("v1", ago(days=3)),
    registered("v2", ago(days=3)),
    volunteer("availability", ago(days=1), volunteer_id="v2", available=False),
    volunteer(
        "deployed", ago(hours=6), deployment_id="d1", volunteer_id="v2", area="x", role="other"
    ),
    volunteer("checked_in", ago(hours=6), deployment_id="d1"),
    volunteer("checked_out", ago(hours=2), deployment_id="d1", minutes=240),
    stock_event("counted", "hub-a", "food_parcel", 70, ago(days=3)),
    stock_event("distributed", "hub-a", "food_parcel", 21, ago(days=2)),
    stock_event("received", "hub-a", "food_parcel", 6, ago(days=1)),
    hub_status("hub-a", "open", 80, ago(days=3)),
    capacity("stretched", ago(hours=12), "foodbank"),
]


SCENARIO_SITREP = {
    "incident": INCIDENT,
    "at": "2024-03-10T12:00:00Z",
    "requests": {
        "raised_total": 3,
        "open": 1,  # s1 (its cancellation is after T)
        "open_by_need": {"shopping": 1},
        "open_by_priority": {"high": 1},
        "open_over_72h": 1,
        "fulfilled_window": 1,  # s3; s2 was fulfilled 27.5h ago
        "median_hours_to_fulfil": 5.75,  # s2: 2.5h, s3: 9h; (2.5 + 9) / 2
        "declined_by_reason": {"no_capacity": 1},
    },
    "referrals": [{"from": "council", "to": "foodbank", "count": 1}],
    "volunteers": {
        "registered": 2,
        "available": 1,
        "deployed_now": 0,
        "never_deployed": 1,
        "minutes_window": 240,
    },
    "stock": [
        # 70 - 21 + 6 = 55; cover 55 / (21 / 7) = 18.333… -> 18.3
        {
            "hub_id": "hub-a",
            "item": "food_parcel",
            "level": 55,
            "distributed_7d": 21,
            "days_of_cover": 18.3,
        }
    ],
    "hubs": [{"hub_id": "hub-a", "status": "open", "parcels_per_day": 80}],
    "partners": [
        {
            "partner": "age-uk",
            "events": 1,
            "requests_accepted": 0,
            "requests_fulfilled": 1,
            "capacity_status": None,
        },
        {
            "partner": "council",
            "events": 4,  # raised s1, s2, s3 and the referral of s3
            "requests_accepted": 0,
            "requests_fulfilled": 0,
            "capacity_status": None,
        },
        {
            "partner": "foodbank",
            "events": 9,  # triaged, accepted, fulfilled, declined; 3 stock; status; capacity
            "requests_accepted": 1,
            "requests_fulfilled": 1,
            "capacity_status": "stretched",
        },
        {
            "partner": "volunteer-centre",
            "events": 6,
            "requests_accepted": 0,
            "requests_fulfilled": 0,
            "capacity_status": None,
        },
    ],
    # No areas are loaded, so every area value (riverside, x) counts under `unknown`.
    "areas": [
        {
            "area": "unknown",
            "name": "Unknown area",
            "open": 1,  # s1
            "urgent_open": 0,  # triaged from urgent to high
            "unmet_urgent_over_4h": 0,
            "volunteers_registered": 2,
            "volunteers_available": 1,
            "deployments_window": 1,  # d1, 6h ago
            "minutes_window": 240,
            "hubs": ["hub-a"],
            "lowest_days_of_cover": 18.3,
        }
    ],
}
