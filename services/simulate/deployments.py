"""Deployments: who is sent out for each piece of work, and when they check in and out.

Work is handed out in the order it happened, to engaged volunteers first, preferring those
covering the ward and with the skill wanted; those offering more hours are asked more often.
Nobody is sent out while away, stood down or still out on another job.
"""

from __future__ import annotations

import itertools
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from services.simulate.envelope import Occurrence
from services.simulate.volunteers import Volunteer


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
            org: _Pool.of([v for v in members if v.engaged])
            for org, members in self.everyone.items()
        }

    def free(self, volunteer: Volunteer, time: datetime) -> bool:
        busy_until = self.busy_until.get(volunteer.id)
        return volunteer.available_at(time) and (busy_until is None or busy_until <= time)

    def choose(self, plan: DeploymentPlan) -> Volunteer:
        local = self.local.get((plan.organisation, plan.area), _Pool.of([]))
        draws = local.draw(self.rng, self.DRAWS) + self.engaged[plan.organisation].draw(
            self.rng, self.DRAWS
        )
        free = [v for v in draws if self.free(v, plan.deployed_at)]
        chosen = next((v for v in free if plan.skill in v.skills), free[0] if free else None)
        if chosen is None:
            # Every regular is busy or away: the coordinator rings round the whole list.
            chosen = next(
                v for v in self.everyone[plan.organisation] if self.free(v, plan.deployed_at)
            )
        self.busy_until[chosen.id] = plan.checked_out_at
        return chosen


def deploy(
    rng: random.Random, roster: Sequence[Volunteer], plans: Sequence[DeploymentPlan]
) -> list[Occurrence]:
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
            Occurrence(
                plan.deployed_at, plan.organisation, "volunteer.deployed", deployment_id, deployed
            ),
            Occurrence(
                plan.checked_in_at,
                plan.organisation,
                "volunteer.checked_in",
                deployment_id,
                {"deployment_id": deployment_id},
            ),
            Occurrence(
                plan.checked_out_at,
                plan.organisation,
                "volunteer.checked_out",
                deployment_id,
                {"deployment_id": deployment_id, "minutes": minutes},
            ),
        ]
    return events
