"""Per-partner rate limits: one partner's flood must not crowd out the others.

A token bucket per partner, in events: it refills at `rate` events a second up to `burst`.
A request that would overdraw it is refused whole (429) with the seconds until it would fit.
A batch larger than the burst goes through when the bucket is full and leaves it in debt.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class _Bucket:
    tokens: float
    at: float


class RateLimits:
    def __init__(
        self, rate: float, burst: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = rate
        self.burst = burst
        self.clock = clock
        self._buckets: dict[str, _Bucket] = {}

    def take(self, partner: str, events: int) -> float:
        """Spend `events` of the partner's allowance; 0 if granted, else seconds to wait."""
        now = self.clock()
        bucket = self._buckets.setdefault(partner, _Bucket(self.burst, now))
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.at) * self.rate)
        bucket.at = now
        if events <= bucket.tokens or bucket.tokens >= self.burst:
            bucket.tokens -= events
            return 0.0
        return (min(events, self.burst) - bucket.tokens) / self.rate


def retry_after(seconds: float) -> str:
    """The Retry-After header: whole seconds, at least one."""
    return str(max(1, math.ceil(seconds)))
