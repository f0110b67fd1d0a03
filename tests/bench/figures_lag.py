"""How far the live figures are behind the event store: events accepted (in `events`) minus
events counted (in the aggregator's ledger, `counted_events`), sampled while load runs; and
what the reconciler found at the same moment (its backlog, and its repairs so far)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

import psycopg

LAG_SQL = (
    "SELECT (SELECT count(*) FROM events),"
    " (SELECT count(*) FROM counted_events WHERE run = 'live'), uncounted, repairs_total"
    " FROM completeness"
)


@dataclass(frozen=True)
class LagSample:
    at: float  # seconds since sampling started
    accepted: int
    counted: int
    uncounted: int  # the reconciler's backlog: stored, not yet in every consumer
    repairs: int  # events the reconciler has republished so far

    @property
    def lag(self) -> int:
        return self.accepted - self.counted


@dataclass
class LagSampler:
    """Samples every `interval` seconds on its own thread, from `start()` until `stop()`."""

    database_url: str
    interval: float = 1.0
    samples: list[LagSample] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def sample(self, conn: psycopg.Connection[Any], started: float) -> LagSample:
        row = conn.execute(LAG_SQL).fetchone()
        assert row is not None
        taken = LagSample(time.monotonic() - started, *(int(value) for value in row))
        self.samples.append(taken)
        return taken

    def start(self) -> None:
        def run() -> None:
            started = time.monotonic()
            with psycopg.connect(self.database_url, autocommit=True) as conn:
                while not self._stop.wait(self.interval):
                    self.sample(conn, started)

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()


def seconds_to_catch_up(database_url: str, timeout: float) -> tuple[float, LagSample]:
    """Seconds until every accepted event is counted (from now), and the last sample."""
    sampler = LagSampler(database_url)
    started = time.monotonic()
    with psycopg.connect(database_url, autocommit=True) as conn:
        while True:
            last = sampler.sample(conn, started)
            if last.lag <= 0 or last.at > timeout:
                return last.at, last
            time.sleep(0.2)
