"""Partner tokens verified recently. Verifying one costs a slow scrypt hash, so each verified
token is remembered for a short while, by its SHA-256 (never in clear); a revoked token stops
working within that time."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable

CACHE_SECONDS = 10.0


def token_digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


class VerifiedTokens:
    def __init__(
        self, seconds: float = CACHE_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.seconds = seconds
        self.clock = clock
        self._partners: dict[bytes, tuple[str, float]] = {}

    def partner(self, token: str) -> str | None:
        """The partner of a token verified less than `seconds` ago; None if there is none."""
        known = self._partners.get(token_digest(token))
        if known is None or known[1] <= self.clock():
            return None
        return known[0]

    def remember(self, token: str, partner: str) -> None:
        self._partners[token_digest(token)] = (partner, self.clock() + self.seconds)
