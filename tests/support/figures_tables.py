"""The figures tables, read whole so that two runs can be compared, and events loaded into them
through the aggregator's writer."""

from __future__ import annotations

from typing import Any

import psycopg

from services.figures.writer import apply_batch

FIGURES_TABLES = (
    "counted_events",
    "hourly_figures",
    "request_events",
    "requests",
    "request_timeline",
    "volunteer_events",
    "volunteer_timeline",
    "deployment_events",
    "deployments",
    "volunteer_first_deployed",
    "stock_events",
    "hub_status",
    "partner_capacity",
    "incident_events",
)


def snapshot(conn: psycopg.Connection[Any]) -> dict[str, list[tuple[Any, ...]]]:
    """Every figures table, rows sorted, so two runs can be compared whole."""
    tables = {}
    for table in FIGURES_TABLES:
        rows = conn.execute(f"SELECT * FROM {table}").fetchall()
        tables[table] = sorted(rows, key=repr)
    return tables


def load(
    conn: psycopg.Connection[Any],
    events: list[dict[str, Any]],
    run: str = "live",
    batch_size: int = 5,
) -> None:
    """Through the aggregator's writer, in small batches, as the broker would deliver them."""
    for start in range(0, len(events), batch_size):
        apply_batch(conn, run, events[start : start + batch_size])
        conn.commit()
