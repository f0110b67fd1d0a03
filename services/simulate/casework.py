"""A request from raising to being taken on: triage, referral between partners, declines.

The raising partner triages some requests and refers those another partner is set up to do;
the partner it was referred to publishes whether it accepts. A decline sends the request to the
fallback partner for that need, or leaves it open when there is none.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import datetime

from services.simulate import borough
from services.simulate.clock import after, day_of
from services.simulate.demand import TRIAGE_SHARE, Request
from services.simulate.envelope import Occurrence
from services.simulate.weights import pick

PRIORITIES = ("urgent", "high", "routine")
RETRIAGE_SHARE = 0.25
DECLINE_SHARE = 0.05
DECLINE_REASONS = {"no_capacity": 0.4, "out_of_area": 0.25, "not_eligible": 0.15, "duplicate": 0.2}
# "Other" is what a call handler picks in a hurry; triage usually finds the real need.
RECLASSIFIED_NEEDS = ("financial", "welfare_check", "shopping")


@dataclass(frozen=True)
class Accepted:
    request: Request  # as last triaged: its need and priority are the ones to act on
    handler: str
    time: datetime


def request_event(
    time: datetime, partner: str, kind: str, request: Request, **fields: object
) -> Occurrence:
    return Occurrence(
        time, partner, f"request.{kind}", request.id, {"request_id": request.id, **fields}
    )


def triage(rng: random.Random, request: Request) -> Request:
    priority = request.priority
    if rng.random() < RETRIAGE_SHARE:
        rank = PRIORITIES.index(priority)
        # Triage may raise a shielding resident's priority but never lowers it.
        step = -1 if request.shielding or rng.random() < 0.5 else 1
        priority = PRIORITIES[min(max(rank + step, 0), len(PRIORITIES) - 1)]
    need = request.need
    if need == "other" and rng.random() < 0.6:
        need = rng.choice(RECLASSIFIED_NEEDS)
    return replace(request, need=need, priority=priority)


def take_on(rng: random.Random, request: Request) -> tuple[list[Occurrence], Accepted | None]:
    raiser = request.raiser
    events = [
        Occurrence(request.raised_at, raiser, "request.raised", request.id, request.raised_data())
    ]
    time = request.raised_at
    if rng.random() < TRIAGE_SHARE[raiser, request.channel]:
        time = after(rng, time, 10, 180)
        request = triage(rng, request)
        events.append(
            request_event(
                time, raiser, "triaged", request, priority=request.priority, need=request.need
            )
        )
    day = day_of(request.raised_at)
    handler = borough.handler(raiser, request.need, request.area, request.shielding, day)
    if handler == raiser:
        time = after(rng, time, 5, 120)
        events.append(request_event(time, raiser, "accepted", request))
        return events, Accepted(request, raiser, time)
    time = _refer(rng, events, request, time, handler)
    if rng.random() >= DECLINE_SHARE:
        events.append(request_event(time, handler, "accepted", request))
        return events, Accepted(request, handler, time)

    reason = pick(rng, DECLINE_REASONS)
    events.append(request_event(time, handler, "declined", request, reason=reason))
    if reason == "duplicate":
        time = after(rng, time, 10, 240)
        events.append(request_event(time, raiser, "cancelled", request, reason="duplicate"))
        return events, None
    fallback = borough.FALLBACK.get(request.need)
    if fallback is None or fallback == handler:
        return events, None
    if fallback == raiser:
        time = after(rng, time, 10, 240)
    else:
        time = _refer(rng, events, request, time, fallback)
    events.append(request_event(time, fallback, "accepted", request))
    return events, Accepted(request, fallback, time)


def _refer(
    rng: random.Random, events: list[Occurrence], request: Request, time: datetime, to: str
) -> datetime:
    """Publishes the referral and returns when the receiving partner answers it."""
    referred_at = after(rng, time, 15, 240)
    reason = borough.REFERRAL_REASONS[request.need]
    events.append(
        request_event(
            referred_at, request.raiser, "referred", request, to_partner=to, reason=reason
        )
    )
    return after(rng, referred_at, 30, 600)
