"""Failed token verifications, counted per token id, to throttle guessing.

After `MAX_FAILURES` failed attempts with one token id within `WINDOW_SECONDS` of the first,
that id is refused (429 with Retry-After) without hashing until the window ends. An attempt
counts as it starts, so concurrent guesses are bounded as well as sequential ones; a success
clears the count.

Kept in each process's memory: a guess then costs at most `MAX_FAILURES` hashes per window and
gateway process, and counting in PostgreSQL would make every failed guess a database write — a
new thing to flood. Unknown token ids are counted alike (they cost the same dummy hash), so the
throttle says nothing about which ids exist. A partner whose token id is being attacked keeps
working with a token already verified in its gateway process, and rotating gives it a new id.
"""

from __future__ import annotations

import time
from collections.abc import Callable

MAX_FAILURES = 5
WINDOW_SECONDS = 60.0
MAX_TRACKED = 10_000
"""Token ids counted at once: random ids must not grow the map without bound."""


class TokenFailures:
    def __init__(
        self,
        max_failures: int = MAX_FAILURES,
        window: float = WINDOW_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_failures = max_failures
        self.window = window
        self.clock = clock
        self._counts: dict[str, tuple[int, float]] = {}  # token id: (attempts, window start)

    def attempt(self, token_id: str) -> float:
        """Count an attempt with `token_id`: 0 if it may be verified, else seconds to wait."""
        now = self.clock()
        count, since = self._counts.get(token_id, (0, now))
        if now - since >= self.window:
            count, since = 0, now
        if count >= self.max_failures:
            return since + self.window - now
        if token_id not in self._counts and len(self._counts) >= MAX_TRACKED:
            self._forget_old(now)
        self._counts[token_id] = (count + 1, since)
        return 0.0

    def succeeded(self, token_id: str) -> None:
        self._counts.pop(token_id, None)

    def _forget_old(self, now: float) -> None:
        for token_id, (_, since) in list(self._counts.items()):
            if now - since >= self.window:
                del self._counts[token_id]
        if len(self._counts) >= MAX_TRACKED:
            # Still full of fresh ids: the oldest windows go first (dicts keep insertion order).
            for token_id in list(self._counts)[: MAX_TRACKED // 10]:
                del self._counts[token_id]
