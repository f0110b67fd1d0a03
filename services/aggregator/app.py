"""The aggregator: `events.accepted` in batches into the live figures (figures/writer.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg

from services.figures.writer import apply_batch

LIVE = "live"


def count_live(conn: psycopg.Connection[Any], values: Sequence[bytes]) -> int:
    return apply_batch(conn, LIVE, values)
