"""The aggregator: `events.accepted` in batches into the figures tables (figures_writer)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import faust
import psycopg

from services.aggregator.figures_writer import apply_batch
from services.settings import Settings
from services.stream_batches import make_app as stream_batches_app

LIVE = "live"


def count_live(conn: psycopg.Connection[Any], values: Sequence[bytes]) -> int:
    return apply_batch(conn, LIVE, values)


def make_app(settings: Settings) -> faust.App:
    return stream_batches_app(settings, "aggregator", count_live)
