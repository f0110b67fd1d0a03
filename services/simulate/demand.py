"""Who asks for help, when, and for what: the stream of `request.raised`.

Volume rises over two and a half weeks, as word of the helpline spreads and shielding letters
land, then plateaus; weekends are quieter. Each partner hears from residents through its own
channels, so the mix of needs depends on who raised the request.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from services.simulate.borough import (
    AGE_UK,
    COUNCIL,
    FOODBANK,
    MALDEN,
    PATCHES,
    SURBITON,
    WARD_DEMAND,
)
from services.simulate.clock import DAYS, at, is_weekend
from services.simulate.weights import pick

PEAK_PER_DAY = 145
RAMP_DAYS = 17
USUAL_PRIORITY = {"urgent": 0.1, "high": 0.25, "routine": 0.65}
SHIELDING_PRIORITY = {"urgent": 0.15, "high": 0.4, "routine": 0.45}
HOUSEHOLD_SIZES = {1: 0.38, 2: 0.30, 3: 0.12, 4: 0.11, 5: 0.06, 6: 0.03}
RETURNING_SHARE = 0.25  # weekly parcels and shopping: the same households ask again


@dataclass(frozen=True)
class Intake:
    """One way residents reach one partner."""

    partner: str
    channel: str
    share: float  # of the day's requests, among the intakes open that day
    needs: Mapping[str, float]
    shielding: float  # share of callers on the shielding list
    triage: float  # share the partner triages before acting
    hours: tuple[float, float]
    areas: tuple[str, ...] = tuple(WARD_DEMAND)
    from_day: int = 0
    weekdays_only: bool = False
    priorities: Mapping[str, float] | None = None  # None: by shielding status
    anonymous: bool = False  # walk-ins give no reference

    def area_weights(self) -> list[float]:
        return [WARD_DEMAND[area] for area in self.areas]


def _mutual_aid(partner: str) -> Intake:
    needs = {"shopping": 0.5, "prescription": 0.3, "food": 0.1, "befriending": 0.05, "other": 0.05}
    return Intake(partner, "online", 0.065, needs, 0.05, 0.0, (7.5, 22.5), PATCHES[partner])


INTAKES = (
    Intake(
        COUNCIL.id,
        "helpline",
        0.40,
        {
            "food": 0.30,
            "shopping": 0.18,
            "prescription": 0.15,
            "welfare_check": 0.10,
            "befriending": 0.07,
            "financial": 0.10,
            "transport": 0.04,
            "other": 0.06,
        },
        0.15,
        0.5,
        (8, 20),
    ),
    # The NHS shielding list reached councils in the second week; the council rang everyone on it.
    Intake(
        COUNCIL.id,
        "referral",
        0.14,
        {
            "food": 0.45,
            "prescription": 0.2,
            "shopping": 0.15,
            "welfare_check": 0.15,
            "befriending": 0.05,
        },
        1.0,
        0.6,
        (9, 17),
        from_day=7,
    ),
    Intake(
        COUNCIL.id,
        "online",
        0.10,
        {
            "food": 0.25,
            "shopping": 0.25,
            "prescription": 0.15,
            "financial": 0.15,
            "befriending": 0.05,
            "transport": 0.05,
            "other": 0.10,
        },
        0.1,
        0.4,
        (7.5, 23),
    ),
    Intake(
        FOODBANK.id,
        "walk_in",
        0.06,
        {"food": 1.0},
        0.0,
        0.0,
        (10, 16),
        weekdays_only=True,
        priorities={"urgent": 0.7, "high": 0.3},
        anonymous=True,
    ),
    Intake(FOODBANK.id, "referral", 0.06, {"food": 1.0}, 0.0, 0.0, (9, 17), weekdays_only=True),
    _mutual_aid(SURBITON.id),
    _mutual_aid(MALDEN.id),
    Intake(
        AGE_UK.id,
        "helpline",
        0.09,
        {
            "befriending": 0.4,
            "welfare_check": 0.25,
            "shopping": 0.2,
            "prescription": 0.1,
            "transport": 0.05,
        },
        0.4,
        0.3,
        (9, 17),
        weekdays_only=True,
    ),
)
# Each partner hears through a channel once, so (partner, channel) names the intake.
TRIAGE_SHARE = {(intake.partner, intake.channel): intake.triage for intake in INTAKES}


@dataclass(frozen=True)
class Request:
    id: str
    raiser: str
    channel: str
    need: str
    priority: str
    area: str
    household_size: int
    shielding: bool
    person_ref: str | None
    raised_at: datetime

    def raised_data(self) -> dict[str, object]:
        data: dict[str, object] = {
            "request_id": self.id,
            "need": self.need,
            "priority": self.priority,
            "area": self.area,
            "household_size": self.household_size,
            "shielding": self.shielding,
            "channel": self.channel,
        }
        if self.person_ref is not None:
            data["person_ref"] = self.person_ref
        return data


@dataclass
class _Registry:
    """Request ids and person refs each partner has issued."""

    requests: Counter[str] = field(default_factory=Counter)
    people: dict[str, list[str]] = field(default_factory=dict)

    def request_id(self, partner: str) -> str:
        self.requests[partner] += 1
        return f"{partner}-r{self.requests[partner]:05d}"

    def person_ref(self, rng: random.Random, partner: str) -> str:
        known = self.people.setdefault(partner, [])
        if known and rng.random() < RETURNING_SHARE:
            return rng.choice(known)
        known.append(f"p-{len(known) + 1:06d}")
        return known[-1]


def daily_volume(rng: random.Random, day: int) -> int:
    ramp = min(1.0, 0.3 + 0.7 * day / RAMP_DAYS)
    weekend = 0.65 if is_weekend(day) else 1.0
    return round(PEAK_PER_DAY * ramp * weekend * rng.uniform(0.9, 1.1))


def raise_requests(rng: random.Random) -> list[Request]:
    registry = _Registry()
    requests: list[Request] = []
    for day in range(DAYS):
        open_intakes = [
            intake
            for intake in INTAKES
            if intake.from_day <= day and not (intake.weekdays_only and is_weekend(day))
        ]
        chosen = rng.choices(
            open_intakes, weights=[i.share for i in open_intakes], k=daily_volume(rng, day)
        )
        # Ids follow the order requests arrived in, as a partner's case system would number them.
        arrivals = sorted(((at(day, rng.uniform(*i.hours)), i) for i in chosen), key=lambda a: a[0])
        requests.extend(_request(rng, registry, intake, time) for time, intake in arrivals)
    return requests


def _request(rng: random.Random, registry: _Registry, intake: Intake, time: datetime) -> Request:
    shielding = rng.random() < intake.shielding
    priorities = intake.priorities or (SHIELDING_PRIORITY if shielding else USUAL_PRIORITY)
    return Request(
        id=registry.request_id(intake.partner),
        raiser=intake.partner,
        channel=intake.channel,
        need=pick(rng, intake.needs),
        priority=pick(rng, priorities),
        area=rng.choices(intake.areas, weights=intake.area_weights())[0],
        household_size=pick(rng, HOUSEHOLD_SIZES),
        shielding=shielding,
        person_ref=None if intake.anonymous else registry.person_ref(rng, intake.partner),
        raised_at=time,
    )
