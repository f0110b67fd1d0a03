"""The scenario's calendar: days counted from the declaration, and office hours.

Times are UTC. Casework only moves while someone is at a desk, so every step of a lifecycle is
pushed into office hours; that is what makes a request raised at night wait for the morning.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

START = datetime(2020, 3, 16, tzinfo=UTC)  # Monday: the week "stay at home" advice began
DAYS = 42
END = START + timedelta(days=DAYS)
OPENS, CLOSES = 8, 20


def at(day: int, hour: float) -> datetime:
    return START + timedelta(days=day, seconds=round(hour * 3600))


def day_of(time: datetime) -> int:
    return (time - START).days


def is_weekend(day: int) -> bool:
    return (START + timedelta(days=day)).weekday() >= 5


def in_office_hours(rng: random.Random, time: datetime) -> datetime:
    """`time`, or the start of the next office day plus a little queueing, never earlier."""
    if OPENS <= time.hour < CLOSES:
        return time
    day = day_of(time) + (1 if time.hour >= CLOSES else 0)
    return at(day, OPENS) + timedelta(minutes=rng.randint(1, 60))


def after(rng: random.Random, time: datetime, least: int, most: int) -> datetime:
    """A later moment in office hours, `least`..`most` minutes of work after `time`."""
    return in_office_hours(rng, time + timedelta(minutes=rng.randint(least, most)))


def rfc3339(time: datetime) -> str:
    return time.isoformat(timespec="seconds")
