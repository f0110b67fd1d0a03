"""Accepted requests wait in each partner's queue for its daily capacity, then close.

Every day a partner works through its queue, urgent first, then by when it took the request on.
Most are fulfilled by a volunteer sent out for them; the longer one waited, the likelier it is
to be cancelled instead. Whatever is left when the scenario ends is the open backlog.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from services.simulate import borough
from services.simulate.casework import PRIORITIES, Accepted, request_event
from services.simulate.clock import DAYS, after, at
from services.simulate.deployments import DeploymentPlan
from services.simulate.envelope import Occurrence
from services.simulate.weights import pick

# Need -> (role, skill wanted, shortest and longest minutes out).
ROLES = {
    "food": ("delivery", "driving", 30, 120),
    "shopping": ("delivery", "shopping", 45, 150),
    "prescription": ("delivery", "dbs_checked", 20, 90),
    "befriending": ("befriending_call", "befriending", 20, 75),
    "welfare_check": ("befriending_call", "befriending", 15, 45),
    "transport": ("driving", "driving", 60, 180),
}
CANCEL_REASONS = {"withdrawn": 0.5, "unreachable": 0.4, "other": 0.1}
LAST_INTAKE_HOUR = 17  # taken on later than this, it waits for tomorrow's round


@dataclass(frozen=True)
class ParcelDrop:
    hub_id: str
    time: datetime
    request_id: str
    parcels: int


@dataclass(frozen=True)
class Load:
    """A partner's queue for one need at the end of a day."""

    partner: str
    need: str
    day: int
    capacity: int
    waiting: int


@dataclass
class Fulfilment:
    events: list[Occurrence] = field(default_factory=list)
    deployments: list[DeploymentPlan] = field(default_factory=list)
    parcels: list[ParcelDrop] = field(default_factory=list)
    loads: list[Load] = field(default_factory=list)


def serve(rng: random.Random, accepted: Sequence[Accepted]) -> Fulfilment:
    queues: dict[tuple[str, str], list[Accepted]] = {}
    for item in sorted(accepted, key=lambda a: a.time):
        queues.setdefault((item.handler, item.request.need), []).append(item)
    done = Fulfilment()
    for (partner, need), arrivals in sorted(queues.items()):
        waiting: list[Accepted] = []
        arrived = 0
        for day in range(DAYS):
            cutoff = at(day, LAST_INTAKE_HOUR)
            while arrived < len(arrivals) and arrivals[arrived].time < cutoff:
                waiting.append(arrivals[arrived])
                arrived += 1
            waiting.sort(key=lambda a: (PRIORITIES.index(a.request.priority), a.time))
            capacity = borough.capacity(partner, need, day)
            for item in waiting[:capacity]:
                _close(rng, done, item, day)
            waiting = waiting[capacity:]
            done.loads.append(Load(partner, need, day, capacity, len(waiting)))
    return done


def _close(rng: random.Random, done: Fulfilment, item: Accepted, day: int) -> None:
    request, handler = item.request, item.handler
    start = max(item.time + timedelta(minutes=rng.randint(20, 60)), at(day, rng.uniform(9, 18)))
    waited_days = (start - request.raised_at) / timedelta(days=1)
    if rng.random() < min(0.02 + 0.03 * waited_days, 0.3):
        reason = pick(rng, CANCEL_REASONS)
        done.events.append(request_event(start, handler, "cancelled", request, reason=reason))
        return
    hub_id = None
    if request.need == "food":
        # Food capacity comes from open hubs, so a request served today has one to come from.
        hub_id = borough.hub_for(handler, request.area, day).id
        parcels = (request.household_size + 1) // 2
        done.parcels.append(ParcelDrop(hub_id, start, request.id, parcels))
    # Walk-ins take their parcel home; the council's own cases are handled by its staff.
    by_staff = request.channel == "walk_in" or (
        handler == borough.COUNCIL.id and request.need != "food"
    )
    if by_staff or request.need not in ROLES:
        finished = after(rng, start, 15, 180)
        done.events.append(request_event(finished, handler, "fulfilled", request))
        return
    role, skill, shortest, longest = ROLES[request.need]
    checked_in = start + timedelta(minutes=rng.randint(10, 45))
    minutes = rng.randint(shortest, longest)
    checked_out = checked_in + timedelta(minutes=minutes)
    done.deployments.append(
        DeploymentPlan(
            borough.volunteer_org(handler),
            request.area,
            role,
            skill,
            start,
            checked_in,
            checked_out,
            request_id=request.id,
            hub_id=hub_id,
        )
    )
    finished = checked_out + timedelta(minutes=rng.randint(2, 20))
    done.events.append(
        request_event(finished, handler, "fulfilled", request, volunteer_minutes=minutes)
    )
