"""An exercise run's clock: which scenario moment corresponds to which exercise (wall) moment.

The clock is a history of segments, one per facilitator control (start, pause, resume, speed,
jump, stop). From a segment's wall time `at`, scenario time goes on from `scenario_time` at
`speed` times real time — or stands still when the run is not running. `speed` None means "as
fast as events can be sent": the scenario then has no wall-clock schedule.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

State = Literal["running", "paused", "stopped", "finished"]
Control = Literal["start", "pause", "resume", "stop", "speed", "jump", "finish"]
ACTIVE: frozenset[State] = frozenset({"running", "paused"})


@dataclass(frozen=True)
class Segment:
    control: Control
    at: datetime
    state: State
    scenario_time: datetime
    speed: float | None

    def scenario_at(self, wall: datetime) -> datetime:
        """Scenario time at `wall`, which is at or after this segment's start."""
        if self.state != "running" or self.speed is None:
            return self.scenario_time
        return self.scenario_time + max(wall - self.at, timedelta(0)) * self.speed

    def due_at(self, scenario_time: datetime) -> datetime | None:
        """The wall time at which `scenario_time` comes due: None while the clock stands still
        or runs as fast as possible."""
        if self.state != "running" or self.speed is None:
            return None
        return self.at + (scenario_time - self.scenario_time) / self.speed


def segment_at(clock: Sequence[Segment], wall: datetime) -> Segment:
    """The segment in force at `wall` (the first one for a moment before the run began)."""
    index = bisect_right([segment.at for segment in clock], wall)
    return clock[max(index - 1, 0)]


def scenario_at(clock: Sequence[Segment], wall: datetime) -> datetime:
    return segment_at(clock, wall).scenario_at(wall)


def shift_to_day(scenario_from: datetime, today: datetime) -> timedelta:
    """Whole days that move the scenario's first day onto `today` (--shift-to-now)."""
    return timedelta(days=(today.date() - scenario_from.date()).days)


def utc_now() -> datetime:
    return datetime.now(UTC)
