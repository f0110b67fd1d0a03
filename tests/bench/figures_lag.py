"""How far the live figures are behind the event store: events accepted (in `events`) minus
events counted (in the aggregator's ledger, `counted_events`), sampled while load runs."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import psycopg

LAG_SQL = (
    "SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM counted_events WHERE run = 'live')"
)


@dataclass(frozen=True)
class LagSample:
    at: float  # seconds since sampling started
    accepted: int
    counted: int

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

    def sample(self, conn: psycopg.Connection[tuple[int, int]], started: float) -> LagSample:
        row = conn.execute(LAG_SQL).fetchone()
        assert row is not None
        taken = LagSample(time.monotonic() - started, int(row[0]), int(row[1]))
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
