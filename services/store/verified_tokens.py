"""Partner tokens verified recently, and how a revocation reaches every process within 1 s.

Verifying a token costs a slow scrypt hash, so each verified token is remembered, by its SHA-256
(never in clear). `tandem partner revoke|rotate` sends a PostgreSQL notification on `CHANNEL` as
it commits; every process that remembers tokens listens (`RevocationListener`) and forgets them
all when one arrives. The listener also beats against PostgreSQL every `BEAT_SECONDS` and the
remembered tokens are only trusted while the last beat is under `TRUSTED_SECONDS` old: a listener
that lost its connection (and so may have missed a notification) makes every token be verified
again, from the database, until it listens again. Either way a revoked token stops working
within a second.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable

import psycopg

log = logging.getLogger(__name__)

CHANNEL = "tandem_tokens_revoked"
APPLICATION_NAME = "tandem-token-revocations"  # how an operator finds the listeners
CACHE_SECONDS = 300.0
"""How long a verified token is remembered at most; revocation does not depend on it."""
BEAT_SECONDS = 0.2
TRUSTED_SECONDS = 0.7
"""Under 1 s, less a beat: a revocation reaches the process before its tokens are trusted on."""


def token_digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


class VerifiedTokens:
    """Thread-safe: the listener's thread forgets what the serving thread remembers."""

    def __init__(
        self, seconds: float = CACHE_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.seconds = seconds
        self.clock = clock
        self._partners: dict[bytes, tuple[str, float]] = {}
        self._lock = threading.Lock()
        self._generation = 0
        self._trusted_until = float("-inf")  # nothing is trusted until a listener beats

    @property
    def generation(self) -> int:
        """Read before verifying a token; `remember` ignores a verification older than a
        revocation (it may have read the token's row just before the revocation committed)."""
        return self._generation

    def partner(self, token: str) -> str | None:
        """The partner of a token verified and not revoked since; None if there is none."""
        now = self.clock()
        known = self._partners.get(token_digest(token))
        if known is None or known[1] <= now or self._trusted_until <= now:
            return None
        return known[0]

    def remember(self, token: str, partner: str, generation: int) -> None:
        with self._lock:
            if generation == self._generation:
                self._partners[token_digest(token)] = (partner, self.clock() + self.seconds)

    def forget_all(self) -> None:
        with self._lock:
            self._partners.clear()
            self._generation += 1

    def trust_for(self, seconds: float) -> None:
        self._trusted_until = self.clock() + seconds


class RevocationListener:
    """A thread listening on `CHANNEL` for `tokens`, reconnecting for as long as it runs."""

    def __init__(self, database_url: str, tokens: VerifiedTokens) -> None:
        self.database_url = database_url
        self.tokens = tokens
        self._stop = threading.Event()
        self._listening = True  # until found otherwise: the first failure is logged
        self._thread = threading.Thread(target=self._run, name="token-revocations", daemon=True)

    def start(self) -> RevocationListener:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._listen()
            except psycopg.Error as exc:
                if self._listening:  # logged once an outage, not five times a second
                    log.warning("not listening for token revocations", extra={"error": repr(exc)})
                self._listening = False
            # Whatever was revoked while nobody listened is found by verifying again.
            self.tokens.forget_all()
            self._stop.wait(BEAT_SECONDS)

    def _listen(self) -> None:
        with psycopg.connect(
            self.database_url,
            autocommit=True,
            connect_timeout=2,
            tcp_user_timeout=500,
            application_name=APPLICATION_NAME,
        ) as conn:
            conn.add_notify_handler(lambda _: self.tokens.forget_all())
            conn.execute(f"LISTEN {CHANNEL}")
            # Anything revoked before LISTEN took effect was not heard: start afresh.
            self.tokens.forget_all()
            self._listening = True
            while not self._stop.is_set():
                # Notifications are read (and handled) with the beat's answer, which comes after
                # any sent before it: once the beat is back, every earlier revocation is heard.
                conn.execute("SELECT 1")
                self.tokens.trust_for(TRUSTED_SECONDS)
                self._stop.wait(BEAT_SECONDS)


def notify_revoked(conn: psycopg.Connection[tuple[object, ...]], partner_id: str) -> None:
    """Within the revoking transaction: delivered to every listener as it commits."""
    conn.execute("SELECT pg_notify(%s, %s)", (CHANNEL, partner_id))
