"""`partner.capacity`: each partner says how much it can take on, and how stretched it is.

Status follows the queue left at the end of the previous day, measured in days of capacity:
a partner that cannot clear its queue tomorrow is stretched, one days behind is overwhelmed.
A partner publishes only when its figure or status changes, as a duty manager would.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import timedelta

from services.simulate.clock import at
from services.simulate.envelope import Occurrence
from services.simulate.fulfilment import Load

STRETCHED_DAYS = 0.5
OVERWHELMED_DAYS = 1.5


def status(capacity: int, waiting: int) -> str:
    if waiting == 0:
        return "normal"
    behind = waiting / capacity if capacity else float("inf")
    if behind >= OVERWHELMED_DAYS:
        return "overwhelmed"
    return "stretched" if behind >= STRETCHED_DAYS else "normal"


def capacity_updates(rng: random.Random, loads: Sequence[Load]) -> list[Occurrence]:
    events: list[Occurrence] = []
    published: dict[tuple[str, str], tuple[int, str]] = {}
    waiting_before: dict[tuple[str, str], int] = {}
    for load in sorted(loads, key=lambda entry: (entry.day, entry.partner, entry.need)):
        key = load.partner, load.need
        # A service not yet running (a hub still being set up) has nothing to announce.
        if load.capacity or key in published:
            figure = load.capacity, status(load.capacity, waiting_before.get(key, 0))
            if published.get(key) != figure:
                published[key] = figure
                events.append(
                    Occurrence(
                        at(load.day, 7.25) + timedelta(minutes=rng.randint(0, 30)),
                        load.partner,
                        "partner.capacity",
                        load.partner,
                        {"need": load.need, "capacity_per_day": figure[0], "status": figure[1]},
                    )
                )
        waiting_before[key] = load.waiting
    return events
