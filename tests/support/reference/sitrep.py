"""The sitrep of figures.md, computed the obvious way from a list of wire events.

This is a test oracle: it imports nothing from the project and favours being plainly right over
being fast, so that the production SQL figures can be compared against it with random arrival
orders, duplicates and late events. One small function per figure, each over the events that
count at T (deduplicated, of the incident, with `time` <= T).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

WINDOW = timedelta(hours=24)
STOCK_WINDOW = timedelta(days=7)
AGEING = timedelta(hours=72)
URGENT_WAIT = timedelta(hours=4)
MICROSECOND = timedelta(microseconds=1)

# The request lifecycle in the order events.md lists it; the position breaks ties in time.
REQUEST_LIFECYCLE = (
    "raised",
    "triaged",
    "referred",
    "accepted",
    "declined",
    "fulfilled",
    "cancelled",
)
CLOSED_STATES = frozenset({"fulfilled", "cancelled"})


@dataclass(frozen=True)
class Event:
    """One accepted wire event; `kind` is its type without prefix and version."""

    kind: str
    source: str
    id: str
    partner: str
    time: datetime
    data: Mapping[str, Any]


def parse_event(wire: Mapping[str, Any]) -> Event:
    # RFC 3339 allows lower-case "t" and "z"; fromisoformat only takes upper case.
    time = datetime.fromisoformat(wire["time"].upper())
    if time.tzinfo is None:
        raise ValueError(f"event time without offset: {wire['time']!r}")
    kind = wire["type"].removeprefix("resilience.").removesuffix(".v1")
    return Event(kind, wire["source"], wire["id"], wire["partner"], time, wire["data"])


def counted_events(events: Iterable[Mapping[str, Any]], incident: str, at: datetime) -> list[Event]:
    """The events that count at `at`: first of each (source, id), of the incident, time <= at."""
    seen: set[tuple[str, str]] = set()
    counted = []
    for wire in events:
        key = (wire["source"], wire["id"])
        if key in seen:
            continue
        seen.add(key)
        if wire["incident"] != incident:
            continue
        event = parse_event(wire)
        if event.time <= at:
            counted.append(event)
    return counted


def of_kind(events: Iterable[Event], *kinds: str) -> list[Event]:
    return [event for event in events if event.kind in kinds]


def in_last(span: timedelta, event: Event, at: datetime) -> bool:
    """`at - span < time <= at`; every counted event already has time <= at."""
    return event.time > at - span


def latest(events: Iterable[Event], rank: Callable[[Event], Any] = lambda _: 0) -> Event | None:
    """The latest event by time; ties by `rank`, then by id and source so the choice is total."""
    return max(events, key=lambda e: (e.time, rank(e), e.id, e.source), default=None)


def group_by(events: Iterable[Event], field: str) -> dict[str, list[Event]]:
    groups: dict[str, list[Event]] = defaultdict(list)
    for event in events:
        groups[event.data[field]].append(event)
    return groups


def round_half_away_from_zero(value: Fraction, places: int) -> float:
    """PostgreSQL's round(numeric, n), i.e. Decimal's ROUND_HALF_UP, done on the exact value.

    Hours and days of cover are exact fractions that often have no finite decimal expansion, so
    rounding is done on the fraction itself rather than on a truncated Decimal or a float.
    """
    rounded = math.floor(abs(value) * 10**places + Fraction(1, 2))
    return float(Decimal(rounded if value >= 0 else -rounded).scaleb(-places))


def in_hours(delta: timedelta) -> Fraction:
    return Fraction(delta // MICROSECOND, timedelta(hours=1) // MICROSECOND)


def format_at(at: datetime) -> str:
    fraction = f".{at.microsecond:06d}" if at.microsecond else ""
    return at.strftime("%Y-%m-%dT%H:%M:%S") + fraction + "Z"


# Requests


def request_lifecycles(events: Iterable[Event]) -> dict[str, list[Event]]:
    lifecycle_kinds = [f"request.{name}" for name in REQUEST_LIFECYCLE]
    return group_by(of_kind(events, *lifecycle_kinds), "request_id")


def stage(event: Event) -> str:
    return event.kind.removeprefix("request.")


def request_state(lifecycle: list[Event]) -> str:
    # Latest lifecycle event by time; at equal times the later stage in the lifecycle wins.
    last = latest(lifecycle, rank=lambda e: REQUEST_LIFECYCLE.index(stage(e)))
    assert last is not None
    return stage(last)


def need_and_priority(lifecycle: list[Event]) -> tuple[str, str]:
    # From the latest raised or triaged event by time; at equal times triaged beats raised.
    candidates = of_kind(lifecycle, "request.raised", "request.triaged")
    last = latest(candidates, rank=lambda e: e.kind == "request.triaged")
    assert last is not None
    return last.data["need"], last.data["priority"]


def raised_time(lifecycle: list[Event]) -> datetime:
    # A request raised more than once is as old as its earliest raised event.
    return min(event.time for event in of_kind(lifecycle, "request.raised"))


def open_requests(lifecycles: dict[str, list[Event]]) -> dict[str, list[Event]]:
    # A request exists only once raised: events about a never-raised request open nothing.
    return {
        request_id: lifecycle
        for request_id, lifecycle in lifecycles.items()
        if of_kind(lifecycle, "request.raised") and request_state(lifecycle) not in CLOSED_STATES
    }


def fulfilled_window(events: Iterable[Event], at: datetime) -> int:
    # Distinct requests with any fulfilled event in the window (raised or not).
    in_window = [e for e in of_kind(events, "request.fulfilled") if in_last(WINDOW, e, at)]
    return len({event.data["request_id"] for event in in_window})


def median_hours_to_fulfil(lifecycles: dict[str, list[Event]]) -> float | None:
    # Over every request with a fulfilled event (and a raised one to measure from), whatever
    # its state now: first fulfilled time minus earliest raised time.
    durations = sorted(
        in_hours(min(e.time for e in fulfilled) - raised_time(lifecycle))
        for lifecycle in lifecycles.values()
        if (fulfilled := of_kind(lifecycle, "request.fulfilled"))
        and of_kind(lifecycle, "request.raised")
    )
    if not durations:
        return None
    middle = len(durations) // 2
    if len(durations) % 2:
        median = durations[middle]
    else:
        median = (durations[middle - 1] + durations[middle]) / 2
    return round_half_away_from_zero(median, 2)


def requests_figures(events: list[Event], at: datetime) -> dict[str, Any]:
    lifecycles = request_lifecycles(events)
    open_now = open_requests(lifecycles)
    needs_and_priorities = [need_and_priority(lifecycle) for lifecycle in open_now.values()]
    return {
        "raised_total": len({e.data["request_id"] for e in of_kind(events, "request.raised")}),
        "open": len(open_now),
        "open_by_need": dict(Counter(need for need, _ in needs_and_priorities)),
        "open_by_priority": dict(Counter(priority for _, priority in needs_and_priorities)),
        "open_over_72h": sum(
            1 for lifecycle in open_now.values() if raised_time(lifecycle) <= at - AGEING
        ),
        "fulfilled_window": fulfilled_window(events, at),
        "median_hours_to_fulfil": median_hours_to_fulfil(lifecycles),
        "declined_by_reason": dict(
            Counter(event.data["reason"] for event in of_kind(events, "request.declined"))
        ),
    }


def referrals(events: list[Event]) -> list[dict[str, Any]]:
    # Grouped by the publishing partner of the referred event and its data.to_partner.
    counts = Counter(
        (event.partner, event.data["to_partner"]) for event in of_kind(events, "request.referred")
    )
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0][0], item[0][1]))
    return [{"from": source, "to": target, "count": count} for (source, target), count in ordered]


# Volunteers


def registered_volunteers(events: list[Event]) -> set[str]:
    # Registered and not stood down: the latest registered/stood_down event by time is a
    # registration, so registering again after a stand-down counts; at equal times the
    # stand-down wins, as the later step.
    registrations = group_by(
        of_kind(events, "volunteer.registered", "volunteer.stood_down"), "volunteer_id"
    )
    return {
        volunteer_id
        for volunteer_id, history in registrations.items()
        if (last := latest(history, rank=lambda e: e.kind == "volunteer.stood_down"))
        and last.kind == "volunteer.registered"
    }


def available_volunteers(events: list[Event], registered: set[str]) -> set[str]:
    # Latest availability event by time (ties by id); none at all counts as available.
    availability = group_by(of_kind(events, "volunteer.availability"), "volunteer_id")
    return {
        volunteer_id
        for volunteer_id in registered
        if (last := latest(availability.get(volunteer_id, []))) is None or last.data["available"]
    }


def deployed_now(events: list[Event]) -> int:
    checked_in = {e.data["deployment_id"] for e in of_kind(events, "volunteer.checked_in")}
    checked_out = {e.data["deployment_id"] for e in of_kind(events, "volunteer.checked_out")}
    return len(checked_in - checked_out)


def volunteers_figures(events: list[Event], at: datetime) -> dict[str, Any]:
    registered = registered_volunteers(events)
    ever_deployed = {e.data["volunteer_id"] for e in of_kind(events, "volunteer.deployed")}
    return {
        "registered": len(registered),
        "available": len(available_volunteers(events, registered)),
        "deployed_now": deployed_now(events),
        "never_deployed": len(registered - ever_deployed),
        "minutes_window": sum(
            event.data["minutes"]
            for event in of_kind(events, "volunteer.checked_out")
            if in_last(WINDOW, event, at)
        ),
    }


# Stock, hubs, partners


def stock_level(history: list[Event]) -> int:
    # Last count at or before T (two counts at the same time: the larger quantity), plus
    # received minus distributed strictly after that count; base 0 when never counted.
    count = latest(of_kind(history, "stock.counted"), rank=lambda e: e.data["quantity"])
    base = 0 if count is None else count.data["quantity"]
    after = [e for e in history if count is None or e.time > count.time]
    received = sum(e.data["quantity"] for e in of_kind(after, "stock.received"))
    distributed = sum(e.data["quantity"] for e in of_kind(after, "stock.distributed"))
    return int(base + received - distributed)


def stock(events: list[Event], at: datetime) -> list[dict[str, Any]]:
    # Every (hub, item) with any stock event at or before T.
    histories: dict[tuple[str, str], list[Event]] = defaultdict(list)
    for event in of_kind(events, "stock.counted", "stock.received", "stock.distributed"):
        histories[(event.data["hub_id"], event.data["item"])].append(event)
    rows = []
    for (hub_id, item), history in sorted(histories.items()):
        level = stock_level(history)
        distributed_7d = sum(
            e.data["quantity"]
            for e in of_kind(history, "stock.distributed")
            if in_last(STOCK_WINDOW, e, at)
        )
        days_of_cover = (
            None
            if distributed_7d == 0
            else round_half_away_from_zero(Fraction(level) / Fraction(distributed_7d, 7), 1)
        )
        rows.append(
            {
                "hub_id": hub_id,
                "item": item,
                "level": level,
                "distributed_7d": distributed_7d,
                "days_of_cover": days_of_cover,
            }
        )
    return rows


def hubs(events: list[Event]) -> list[dict[str, Any]]:
    # Each hub's latest status event by time; ties by event id.
    rows = []
    for hub_id, history in sorted(group_by(of_kind(events, "hub.status"), "hub_id").items()):
        last = latest(history)
        assert last is not None
        rows.append(
            {
                "hub_id": hub_id,
                "status": last.data["status"],
                "parcels_per_day": last.data["parcels_per_day"],
            }
        )
    return rows


def partners(events: list[Event]) -> list[dict[str, Any]]:
    # Every partner that published a counted event of the incident; the partner is the
    # envelope's `partner` (for capacity events it is also the subject).
    published: dict[str, list[Event]] = defaultdict(list)
    for event in events:
        published[event.partner].append(event)
    rows = []
    for partner, own in sorted(published.items()):
        # Latest capacity event by time whatever its need; ties by event id.
        capacity = latest(of_kind(own, "partner.capacity"))
        rows.append(
            {
                "partner": partner,
                "events": len(own),
                "requests_accepted": len(of_kind(own, "request.accepted")),
                "requests_fulfilled": len(of_kind(own, "request.fulfilled")),
                "capacity_status": None if capacity is None else capacity.data["status"],
            }
        )
    return rows


# Areas


@dataclass(frozen=True)
class Places:
    """The loaded areas (code → name) and aliases (another code → an area code)."""

    names: Mapping[str, str]
    aliases: Mapping[str, str]

    def area_of(self, value: str) -> str:
        if value in self.names:
            return value
        return self.aliases.get(value, "unknown")


NO_PLACES = Places({}, {})


def areas(events: list[Event], at: datetime, places: Places) -> list[dict[str, Any]]:
    figures: dict[str, Counter[str]] = defaultdict(Counter)
    lifecycles = request_lifecycles(events)
    for lifecycle in open_requests(lifecycles).values():
        last_raised = latest(of_kind(lifecycle, "request.raised"))
        assert last_raised is not None
        counts = figures[places.area_of(last_raised.data["area"])]
        counts["open"] += 1
        if need_and_priority(lifecycle)[1] == "urgent":
            counts["urgent_open"] += 1
            if raised_time(lifecycle) <= at - URGENT_WAIT and not of_kind(
                lifecycle, "request.accepted"
            ):
                counts["unmet_urgent_over_4h"] += 1
    registered = registered_volunteers(events)
    available = available_volunteers(events, registered)
    registrations = group_by(of_kind(events, "volunteer.registered"), "volunteer_id")
    for volunteer_id in registered:
        registration = latest(registrations[volunteer_id])
        assert registration is not None
        for area in {places.area_of(value) for value in registration.data["areas"]}:
            figures[area]["volunteers_registered"] += 1
            figures[area]["volunteers_available"] += volunteer_id in available
    deployed = of_kind(events, "volunteer.deployed")
    in_window: dict[str, set[str]] = defaultdict(set)
    for event in deployed:
        if in_last(WINDOW, event, at):
            in_window[places.area_of(event.data["area"])].add(event.data["deployment_id"])
    for area, deployments in in_window.items():
        figures[area]["deployments_window"] += len(deployments)
    deployed_by_id = group_by(deployed, "deployment_id")
    for event in of_kind(events, "volunteer.checked_out"):
        if in_last(WINDOW, event, at):
            last = latest(deployed_by_id.get(event.data["deployment_id"], []))
            area = "unknown" if last is None else places.area_of(last.data["area"])
            figures[area]["minutes_window"] += event.data["minutes"]
    hub_areas: dict[str, list[str]] = defaultdict(list)
    for hub_id, history in group_by(of_kind(events, "hub.status"), "hub_id").items():
        last = latest(history)
        assert last is not None
        hub_areas[places.area_of(last.data["area"])].append(hub_id)
    cover = stock(events, at)
    listed = set(places.names) | {area for area, counts in figures.items() if +counts}
    listed |= set(hub_areas)
    return [
        {
            "area": area,
            "name": places.names.get(area, "Unknown area"),
            **{
                name: figures[area][name]
                for name in (
                    "open",
                    "urgent_open",
                    "unmet_urgent_over_4h",
                    "volunteers_registered",
                    "volunteers_available",
                    "deployments_window",
                    "minutes_window",
                )
            },
            "hubs": sorted(hub_areas[area]),
            "lowest_days_of_cover": min(
                (
                    line["days_of_cover"]
                    for line in cover
                    if line["hub_id"] in hub_areas[area] and line["days_of_cover"] is not None
                ),
                default=None,
            ),
        }
        for area in sorted(listed)
    ]


def reference_sitrep(
    events: Iterable[Mapping[str, Any]],
    incident: str,
    at: datetime,
    places: Places = NO_PLACES,
) -> dict[str, Any]:
    """The sitrep object of figures.md for `incident` at `at`, from wire events in any order,
    with `places` the areas loaded."""
    if at.tzinfo is None:
        raise ValueError("at must be timezone-aware")
    # In UTC, so that `at - 24h` is 24 real hours even across a daylight-saving change.
    at = at.astimezone(UTC)
    counted = counted_events(events, incident, at)
    return {
        "incident": incident,
        "at": format_at(at),
        "requests": requests_figures(counted, at),
        "referrals": referrals(counted),
        "volunteers": volunteers_figures(counted, at),
        "stock": stock(counted, at),
        "hubs": hubs(counted),
        "partners": partners(counted),
        "areas": areas(counted, at, places),
    }
