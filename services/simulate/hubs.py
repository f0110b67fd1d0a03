"""Food hubs: opening and closing, volunteer shifts, and stock of each item day by day.

Each open day starts with a full count. Stock comes in as donations (generous at first, then
tailing off), purchases ordered when cover runs low, and emergency transfers when a hub would
otherwise turn a household away. Reordering looks at the last week's demand, so while demand
is still rising a hub's cover keeps dipping below a few days: what the dashboards must show.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import NamedTuple

from services.simulate import borough
from services.simulate.borough import HUBS, Hub
from services.simulate.clock import DAYS, at, day_of
from services.simulate.deployments import DeploymentPlan
from services.simulate.envelope import Occurrence
from services.simulate.fulfilment import ParcelDrop

ITEMS = ("food_parcel", "tinned", "dry", "fresh", "hygiene", "baby", "pet")
# Units handed out alongside each household's parcels.
PER_HOUSEHOLD = {"tinned": 3.0, "dry": 2.0, "fresh": 1.0, "hygiene": 0.4, "baby": 0.08, "pet": 0.1}
OPENING_COVER_DAYS = 6
REORDER_COVER_DAYS = 5
TARGET_COVER_DAYS = 10
EXPECTED_USE = 0.6  # of parcels_per_day, before there is any history to go on
PARCELS_PER_SHIFT = 8  # packed and handed out by one volunteer in a half-day shift


def run_hubs(
    rng: random.Random, drops: Sequence[ParcelDrop]
) -> tuple[list[Occurrence], list[DeploymentPlan]]:
    events: list[Occurrence] = []
    shifts: list[DeploymentPlan] = []
    for hub in HUBS:
        by_day: dict[int, list[ParcelDrop]] = {}
        for drop in sorted((d for d in drops if d.hub_id == hub.id), key=lambda d: d.time):
            by_day.setdefault(day_of(drop.time), []).append(drop)
        events += _status_changes(rng, hub)
        for item in ITEMS:
            events += _Shelf(rng, hub, item).run(by_day)
        shifts += _shifts(rng, hub)
    return events, shifts


def _status_changes(rng: random.Random, hub: Hub) -> list[Occurrence]:
    return [
        Occurrence(
            at(day, 7.5) + timedelta(minutes=rng.randint(0, 20)),
            hub.operator,
            "hub.status",
            hub.id,
            {
                "hub_id": hub.id,
                "name": hub.name,
                "area": hub.area,
                "status": status,
                "parcels_per_day": parcels,
                "latitude": hub.latitude,
                "longitude": hub.longitude,
            },
        )
        for day, status, parcels in hub.timeline
    ]


def _shifts(rng: random.Random, hub: Hub) -> list[DeploymentPlan]:
    plans = []
    for day in range(DAYS):
        parcels = hub.parcels_on(day)
        if parcels == 0:
            continue
        for _ in range(parcels // PARCELS_PER_SHIFT + rng.randint(1, 2)):
            deployed = at(day, rng.choice((8.5, 13))) + timedelta(minutes=rng.randint(0, 30))
            checked_in = deployed + timedelta(minutes=rng.randint(5, 30))
            checked_out = checked_in + timedelta(minutes=rng.randint(150, 270))
            plans.append(
                DeploymentPlan(
                    borough.volunteer_org(hub.operator),
                    hub.area,
                    "hub_shift",
                    "food_handling",
                    deployed,
                    checked_in,
                    checked_out,
                    hub_id=hub.id,
                )
            )
    return plans


class _Move(NamedTuple):
    time: datetime
    kind: str  # received or distributed
    quantity: int
    must_have: int  # handing out: with fewer than this on the shelf, a transfer is sent for
    data: dict[str, object]


class _Shelf:
    """One item at one hub."""

    def __init__(self, rng: random.Random, hub: Hub, item: str) -> None:
        self.rng, self.hub, self.item = rng, hub, item
        self.level = 0
        self.opened = False
        self.handed_out: list[int] = []  # per open day
        self.on_order: tuple[int, int] | None = None  # (arrival day, quantity)
        self.events: list[Occurrence] = []

    def emit(self, time: datetime, kind: str, quantity: int, **data: object) -> None:
        self.events.append(
            Occurrence(
                time,
                self.hub.operator,
                f"stock.{kind}",
                self.hub.id,
                {"hub_id": self.hub.id, "item": self.item, "quantity": quantity, **data},
            )
        )

    def expected_per_day(self, day: int) -> float:
        if self.handed_out:
            recent = self.handed_out[-7:]
            return max(sum(recent) / len(recent), 1.0)
        parcels = self.hub.parcels_on(day) * EXPECTED_USE
        per_unit = (
            1.0
            if self.item == "food_parcel"
            else PER_HOUSEHOLD[self.item] / borough.PARCELS_PER_REQUEST
        )
        return max(parcels * per_unit, 1.0)

    def run(self, drops_by_day: dict[int, list[ParcelDrop]]) -> list[Occurrence]:
        for day in range(DAYS):
            if self.hub.parcels_on(day) > 0:
                self.open_day(day, drops_by_day.get(day, []))
        return self.events

    def open_day(self, day: int, drops: list[ParcelDrop]) -> None:
        expected = self.expected_per_day(day)
        self.count(day, expected)
        # Stock moves in the order things happened in the day, so the level is right at each.
        moves = [
            _Move(t, "received", n, 0, {"from": source})
            for t, source, n in self.arrivals(day, expected)
        ]
        if self.item == "food_parcel":
            moves += [
                _Move(
                    d.time,
                    "distributed",
                    d.parcels,
                    d.parcels,
                    {"households": 1, "request_id": d.request_id},
                )
                for d in drops
            ]
        elif drops:
            wanted = round(len(drops) * PER_HOUSEHOLD[self.item] * self.rng.uniform(0.8, 1.2))
            moves.append(_Move(at(day, 17.5), "distributed", wanted, 0, {}))
        handed = 0
        for move in sorted(moves, key=lambda m: m.time):
            if move.kind == "received":
                self.emit(move.time, "received", move.quantity, **move.data)
                self.level += move.quantity
            else:
                handed += self.hand_out(move.time, move.quantity, move.must_have, **move.data)
        self.handed_out.append(handed)
        self.reorder(day)

    def count(self, day: int, expected: float) -> None:
        if not self.opened:
            self.level, self.opened = round(OPENING_COVER_DAYS * expected), True
        elif self.rng.random() < 0.15:
            # Breakage and miscounts: the count finds a little less than the books say.
            self.level -= round(self.level * self.rng.uniform(0.01, 0.04))
        self.emit(at(day, 8.25) + timedelta(minutes=ITEMS.index(self.item)), "counted", self.level)

    def arrivals(self, day: int, expected: float) -> list[tuple[datetime, str, int]]:
        arrivals = []
        if self.on_order and self.on_order[0] <= day:
            arrivals.append((at(day, self.rng.uniform(10, 12)), "purchase", self.on_order[1]))
            self.on_order = None
        # Parcels come packed from suppliers; loose food and toiletries are what people give.
        generosity = 0.6 if day < 14 else 0.3
        if self.item != "food_parcel" and self.rng.random() < generosity:
            quantity = round(expected * self.rng.uniform(0.3, 1.5))
            if quantity:
                arrivals.append((at(day, self.rng.uniform(12, 16)), "donation", quantity))
        return arrivals

    def hand_out(self, time: datetime, wanted: int, must_have: int, **data: object) -> int:
        """Hands out up to `wanted`; tops up first if fewer than `must_have` are on the shelf."""
        if must_have > self.level:
            # Another hub or FareShare sends some over rather than turn a household away.
            top_up = must_have - self.level + round(2 * self.expected_per_day(day_of(time)))
            self.emit(time - timedelta(minutes=10), "received", top_up, **{"from": "transfer"})
            self.level += top_up
        quantity = min(wanted, self.level)
        if quantity > 0:
            self.emit(time, "distributed", quantity, **data)
            self.level -= quantity
        return quantity

    def reorder(self, day: int) -> None:
        expected = self.expected_per_day(day)
        if self.on_order is None and self.level < REORDER_COVER_DAYS * expected:
            quantity = round(TARGET_COVER_DAYS * expected) - self.level
            self.on_order = day + self.rng.randint(1, 3), quantity
