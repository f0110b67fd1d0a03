"""Per-partner rate limits: one partner's flood must not crowd out the others.

A token bucket per partner, in events: it refills at `rate` events a second up to `burst`.
A request that would overdraw it is refused whole (429) with the seconds until it would fit.
A batch larger than the burst goes through when the bucket is full and leaves it in debt.

A request costs the larger of its events and its body in KiB (`body_cost`), at least one. The
body's part is charged before the body is parsed, so refused requests cost the partner its
allowance like accepted ones: parsing and keeping a refused megabyte is work done for it. An
event of up to 1 KiB (most are a few hundred bytes) costs exactly one, as it always did.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

BYTES_PER_EVENT = 1024
"""What one event of the allowance buys in body bytes."""


def body_cost(size: int) -> int:
    """The events a body of `size` bytes costs before it is parsed: at least one."""
    return max(1, math.ceil(size / BYTES_PER_EVENT))


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

    def _bucket(self, partner: str) -> _Bucket:
        now = self.clock()
        bucket = self._buckets.setdefault(partner, _Bucket(self.burst, now))
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.at) * self.rate)
        bucket.at = now
        return bucket

    def take(self, partner: str, events: int) -> float:
        """Spend `events` of the partner's allowance; 0 if granted, else seconds to wait."""
        bucket = self._bucket(partner)
        if events <= bucket.tokens or bucket.tokens >= self.burst:
            bucket.tokens -= events
            return 0.0
        return (min(events, self.burst) - bucket.tokens) / self.rate

    def spend(self, partner: str, events: int) -> None:
        """Spend whatever the bucket holds, into debt if need be (for work already done);
        a negative `events` gives back what `take` granted."""
        bucket = self._bucket(partner)
        bucket.tokens = min(self.burst, bucket.tokens - events)

    def in_debt(self, partner: str) -> float:
        """Seconds until the partner may send a request at all; 0 if it may now."""
        bucket = self._bucket(partner)
        least = min(1.0, self.burst)
        return 0.0 if bucket.tokens >= least else (least - bucket.tokens) / self.rate


def retry_after(seconds: float) -> str:
    """The Retry-After header: whole seconds, at least one."""
    return str(max(1, math.ceil(seconds)))
