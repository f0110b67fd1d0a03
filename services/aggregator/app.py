"""The aggregator: `events.accepted` in batches into the live figures, or an exercise run's
topic into the run's figures (services/figures/writer.py)."""

from __future__ import annotations

from services.exercises.run_figures import counter_for
from services.figures.writer import apply_batch
from services.streaming.batches import Batch, Write
from services.streaming.positions import Conn

LIVE = "live"


def count_live(conn: Conn, batch: Batch) -> None:
    apply_batch(conn, LIVE, batch.values)


def count_run(run: str) -> Write:
    count = counter_for(run)

    def write(conn: Conn, batch: Batch) -> None:
        count(conn, batch.values)

    return write
