"""Volunteers: the rush to register, who is available when, and who gets sent out.

About 1,200 people signed up in the first weeks, far more than the work needed, so most were
never deployed: only some are `engaged` (vetted, matched, reliable) and deployments go to them
first, busiest volunteers being those offering the most hours.
"""

from __future__ import annotations

import itertools
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from services.simulate.borough import MALDEN, PATCHES, SURBITON, VOLUNTEERING, WARDS
from services.simulate.clock import DAYS, END, at
from services.simulate.envelope import Occurrence

SIGN_UPS = 1200
ORGANISATIONS = {VOLUNTEERING.id: 0.8, SURBITON.id: 0.1, MALDEN.id: 0.1}
FOUNDERS = 0.06  # already on a partner's books: registered for the response the first morning
SKILLS = {
    "driving": 0.35,
    "dbs_checked": 0.2,
    "befriending": 0.25,
    "shopping": 0.6,
    "food_handling": 0.25,
    "first_aid": 0.12,
    "languages": 0.1,
    "admin": 0.15,
}
HOURS_PER_WEEK = {2: 0.15, 3: 0.15, 4: 0.2, 5: 0.15, 6: 0.1, 8: 0.1, 10: 0.08, 15: 0.05, 20: 0.02}
STAND_DOWN_REASONS = ("returned_to_work", "no_longer_available")
LATE_SIGN_UP_DAY = 14  # by then the matching was done: later sign-ups were rarely called


@dataclass(frozen=True)
class Volunteer:
    id: str
    organisation: str
    skills: tuple[str, ...]
    areas: tuple[str, ...]
    hours_per_week: int
    registered_at: datetime
    engaged: bool
    away: tuple[datetime, datetime] | None  # unavailable from, until
    stood_down_at: datetime | None
    stand_down_reason: str | None

    def available_at(self, time: datetime) -> bool:
        if time <= self.registered_at or (self.stood_down_at and time >= self.stood_down_at):
            return False
        return self.away is None or not self.away[0] <= time < self.away[1]


@dataclass(frozen=True)
class DeploymentPlan:
    """Work that needs a volunteer; `deploy` picks who."""

    organisation: str
    area: str
    role: str
    skill: str
    deployed_at: datetime
    checked_in_at: datetime
    checked_out_at: datetime
    request_id: str | None = None
    hub_id: str | None = None


def enrol(rng: random.Random) -> tuple[list[Volunteer], list[Occurrence]]:
    total = SIGN_UPS + rng.randint(-40, 40)
    organisations = rng.choices(list(ORGANISATIONS), weights=list(ORGANISATIONS.values()), k=total)
    times = sorted(_sign_up_time(rng, i < total * FOUNDERS) for i in range(total))
    numbered: Counter[str] = Counter()
    roster: list[Volunteer] = []
    for organisation, registered_at in zip(organisations, times, strict=True):
        numbered[organisation] += 1
        roster.append(_volunteer(rng, f"{organisation}-v{numbered[organisation]:04d}", organisation, registered_at))
    return roster, [event for volunteer in roster for event in _timeline(volunteer)]


def _sign_up_time(rng: random.Random, founder: bool) -> datetime:
    if founder:
        return at(0, rng.uniform(7.1, 8.5))
    # A gamma(2) curve peaking in the first week: the appeal, then the national call on day 8.
    day = min(int(rng.gammavariate(2, 3.5)), DAYS - 1)
    return at(day, rng.uniform(7.1 if day == 0 else 6, 23))


def _volunteer(rng: random.Random, volunteer_id: str, organisation: str, registered_at: datetime) -> Volunteer:
    skills = tuple(skill for skill, share in SKILLS.items() if rng.random() < share) or ("shopping",)
    wards = PATCHES.get(organisation, WARDS)
    areas = tuple(sorted(rng.sample(wards, rng.randint(1, 3))))
    late = registered_at >= at(LATE_SIGN_UP_DAY, 0)
    useful = sum(skill in skills for skill in ("driving", "dbs_checked", "food_handling"))
    engaged = rng.random() < (0.3 + 0.12 * useful) * (0.3 if late else 1.0)
    stood_down_at, reason, away = None, None, None
    if not engaged and late and organisation == VOLUNTEERING.id and rng.random() < 0.3:
        # Volunteering Kingston wrote to sign-ups it could not place: the over-supply.
        stood_down_at, reason = at(rng.randint(34, DAYS - 1), rng.uniform(9, 17)), "oversupply"
    elif rng.random() < 0.05:
        stood_down_at = registered_at + timedelta(days=rng.uniform(3, 30))
        # The reason is optional: people often just say they can no longer help.
        reason = rng.choice((*STAND_DOWN_REASONS, None))
    if rng.random() < 0.2:
        start = registered_at + timedelta(days=rng.uniform(2, 20))
        until = start + timedelta(days=rng.uniform(3, 14))
        if until < (stood_down_at or END):
            away = start, until
    return Volunteer(
        volunteer_id,
        organisation,
        skills,
        areas,
        rng.choices(list(HOURS_PER_WEEK), weights=list(HOURS_PER_WEEK.values()))[0],
        registered_at,
        engaged,
        away,
        stood_down_at,
        reason,
    )


def _timeline(volunteer: Volunteer) -> list[Occurrence]:
    def event(time: datetime, kind: str, **data: object) -> Occurrence:
        return Occurrence(
            time, volunteer.organisation, f"volunteer.{kind}", volunteer.id, {"volunteer_id": volunteer.id, **data}
        )

    events = [
        event(
            volunteer.registered_at,
            "registered",
            skills=list(volunteer.skills),
            areas=list(volunteer.areas),
            hours_per_week=volunteer.hours_per_week,
        )
    ]
    if volunteer.away:
        events.append(event(volunteer.away[0], "availability", available=False))
        events.append(event(volunteer.away[1], "availability", available=True))
    if volunteer.stood_down_at:
        reason = volunteer.stand_down_reason
        events.append(event(volunteer.stood_down_at, "stood_down", **({"reason": reason} if reason else {})))
    return events


@dataclass(frozen=True)
class _Pool:
    """Volunteers to draw from, those offering more hours drawn more often."""

    members: tuple[Volunteer, ...]
    cum_hours: tuple[int, ...]

    @classmethod
    def of(cls, members: Sequence[Volunteer]) -> _Pool:
        return cls(tuple(members), tuple(itertools.accumulate(v.hours_per_week for v in members)))

    def draw(self, rng: random.Random, k: int) -> list[Volunteer]:
        return rng.choices(self.members, cum_weights=self.cum_hours, k=k) if self.members else []


class _Dispatcher:
    DRAWS = 12

    def __init__(self, rng: random.Random, roster: Sequence[Volunteer]) -> None:
        self.rng = rng
        self.busy_until: dict[str, datetime] = {}
        self.everyone: dict[str, list[Volunteer]] = {}
        local: dict[tuple[str, str], list[Volunteer]] = {}
        for volunteer in roster:
            self.everyone.setdefault(volunteer.organisation, []).append(volunteer)
            for area in volunteer.areas if volunteer.engaged else ():
                local.setdefault((volunteer.organisation, area), []).append(volunteer)
        self.local = {key: _Pool.of(members) for key, members in local.items()}
        self.engaged = {
            org: _Pool.of([v for v in members if v.engaged]) for org, members in self.everyone.items()
        }

    def free(self, volunteer: Volunteer, time: datetime) -> bool:
        busy_until = self.busy_until.get(volunteer.id)
        return volunteer.available_at(time) and (busy_until is None or busy_until <= time)

    def choose(self, plan: DeploymentPlan) -> Volunteer:
        local = self.local.get((plan.organisation, plan.area), _Pool.of([]))
        draws = local.draw(self.rng, self.DRAWS) + self.engaged[plan.organisation].draw(self.rng, self.DRAWS)
        free = [v for v in draws if self.free(v, plan.deployed_at)]
        chosen = next((v for v in free if plan.skill in v.skills), free[0] if free else None)
        if chosen is None:
            # Every regular is busy or away: the coordinator rings round the whole list.
            chosen = next(v for v in self.everyone[plan.organisation] if self.free(v, plan.deployed_at))
        self.busy_until[chosen.id] = plan.checked_out_at
        return chosen


def deploy(rng: random.Random, roster: Sequence[Volunteer], plans: Sequence[DeploymentPlan]) -> list[Occurrence]:
    """Assigns volunteers in the order the work happened, so nobody is in two places at once."""
    dispatcher = _Dispatcher(rng, roster)
    numbered: Counter[str] = Counter()
    events: list[Occurrence] = []
    for plan in sorted(plans, key=lambda p: p.deployed_at):
        volunteer = dispatcher.choose(plan)
        numbered[plan.organisation] += 1
        deployment_id = f"{plan.organisation}-d{numbered[plan.organisation]:05d}"
        deployed: dict[str, object] = {
            "deployment_id": deployment_id,
            "volunteer_id": volunteer.id,
            "area": plan.area,
            "role": plan.role,
        }
        if plan.request_id is not None:
            deployed["request_id"] = plan.request_id
        if plan.hub_id is not None:
            deployed["hub_id"] = plan.hub_id
        minutes = (plan.checked_out_at - plan.checked_in_at) // timedelta(minutes=1)
        events += [
            Occurrence(plan.deployed_at, plan.organisation, "volunteer.deployed", deployment_id, deployed),
            Occurrence(
                plan.checked_in_at, plan.organisation, "volunteer.checked_in", deployment_id,
                {"deployment_id": deployment_id},
            ),
            Occurrence(
                plan.checked_out_at, plan.organisation, "volunteer.checked_out", deployment_id,
                {"deployment_id": deployment_id, "minutes": minutes},
            ),
        ]
    return events
