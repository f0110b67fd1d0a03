"""Volunteers: the rush to register, then who is available when.

About 1,200 people signed up in the first weeks, far more than the work needed, so most were
never deployed: only some are `engaged` (vetted, matched, reliable), and late sign-ups rarely
were. Volunteering Kingston later stood down some it could not place.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from services.simulate.borough import MALDEN, PATCHES, SURBITON, VOLUNTEERING, WARDS
from services.simulate.clock import DAYS, END, at
from services.simulate.envelope import Occurrence
from services.simulate.weights import pick

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


def enrol(rng: random.Random) -> tuple[list[Volunteer], list[Occurrence]]:
    total = SIGN_UPS + rng.randint(-40, 40)
    organisations = rng.choices(list(ORGANISATIONS), weights=list(ORGANISATIONS.values()), k=total)
    times = sorted(_sign_up_time(rng, i < total * FOUNDERS) for i in range(total))
    numbered: Counter[str] = Counter()
    roster: list[Volunteer] = []
    for organisation, registered_at in zip(organisations, times, strict=True):
        numbered[organisation] += 1
        roster.append(
            _volunteer(
                rng, f"{organisation}-v{numbered[organisation]:04d}", organisation, registered_at
            )
        )
    return roster, [event for volunteer in roster for event in _timeline(volunteer)]


def _sign_up_time(rng: random.Random, founder: bool) -> datetime:
    if founder:
        return at(0, rng.uniform(7.1, 8.5))
    # A gamma(2) curve: sign-ups peak within the first week and mostly end within three.
    day = min(int(rng.gammavariate(2, 3.5)), DAYS - 1)
    return at(day, rng.uniform(7.1 if day == 0 else 6, 23))


def _volunteer(
    rng: random.Random, volunteer_id: str, organisation: str, registered_at: datetime
) -> Volunteer:
    skills = tuple(skill for skill, share in SKILLS.items() if rng.random() < share) or (
        "shopping",
    )
    wards = PATCHES.get(organisation, WARDS)
    areas = tuple(sorted(rng.sample(wards, rng.randint(1, 3))))
    late = registered_at >= at(LATE_SIGN_UP_DAY, 0)
    useful = sum(skill in skills for skill in ("driving", "dbs_checked", "food_handling"))
    engaged = rng.random() < (0.4 + 0.12 * useful) * (0.3 if late else 1.0)
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
        pick(rng, HOURS_PER_WEEK),
        registered_at,
        engaged,
        away,
        stood_down_at,
        reason,
    )


def _timeline(volunteer: Volunteer) -> list[Occurrence]:
    def event(time: datetime, kind: str, **data: object) -> Occurrence:
        return Occurrence(
            time,
            volunteer.organisation,
            f"volunteer.{kind}",
            volunteer.id,
            {"volunteer_id": volunteer.id, **data},
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
        events.append(
            event(volunteer.stood_down_at, "stood_down", **({"reason": reason} if reason else {}))
        )
    return events
