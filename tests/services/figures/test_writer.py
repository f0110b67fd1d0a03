"""The figures writer: the same events, in any order, batching or repetition, give the same
figures tables."""

from __future__ import annotations

import random
from typing import Any

import psycopg

from services.figures.writer import apply_batch
from services.simulate import build
from tests.support.figures_tables import FIGURES_TABLES, snapshot


def apply_in_batches(conn: psycopg.Connection[Any], events: list[dict[str, Any]], size: int) -> int:
    new = 0
    for start in range(0, len(events), size):
        new += apply_batch(conn, "live", events[start : start + size])
        conn.commit()
    return new


def test_order_batching_and_duplicates_do_not_change_the_figures(database_url: str) -> None:
    events = build("kingston-2020").events[:6000]
    with psycopg.connect(database_url) as conn:
        assert apply_in_batches(conn, events, 1000) == len(events)
        in_order = snapshot(conn)
        for table in FIGURES_TABLES:
            conn.execute(f"TRUNCATE {table}")
        conn.commit()

        shuffled = events + random.Random(7).sample(events, 1500)  # late re-sends
        random.Random(3).shuffle(shuffled)
        assert apply_in_batches(conn, shuffled, 777) == len(events)
        assert snapshot(conn) == in_order
        assert apply_in_batches(conn, events[:500], 100) == 0  # replayed batch: nothing new
        assert snapshot(conn) == in_order
