"""Writing events straight into the store, for tests of what reads it (relay, archiver)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson
import psycopg


def sample_event(n: int, incident: str = "covid-2020") -> dict[str, object]:
    return {
        "specversion": "1.0",
        "id": f"e-{n}",
        "source": "/orgs/kingston-foodbank/stock-sheet",
        "type": "resilience.stock.received.v1",
        "time": (datetime(2020, 4, 1, tzinfo=UTC) + timedelta(minutes=n)).isoformat(),
        "subject": f"hub-{n % 3}",
        "partner": "kingston-foodbank",
        "incident": incident,
        "data": {"hub_id": f"hub-{n % 3}", "item": "tinned", "quantity": n, "from": "donation"},
    }


STORE_COLUMNS = "source, id, type, partner, incident, subject, time, body"


def store_row(e: dict[str, object]) -> tuple[object, ...]:
    """An event as a row of the event store, in STORE_COLUMNS order."""
    fields = ("source", "id", "type", "partner", "incident", "subject", "time")
    return (*(e[name] for name in fields), orjson.dumps(e).decode())


def insert_events(
    conn: psycopg.Connection[tuple[object, ...]],
    events: list[dict[str, object]],
    tx: int | None = None,
) -> None:
    """Store `events` in the caller's transaction, under `tx` in place of its own id if given
    (a store position as a long-running deployment's transactions have them)."""
    columns, marks = STORE_COLUMNS, "%s, %s, %s, %s, %s, %s, %s, %s"
    if tx is not None:
        columns, marks = f"{columns}, tx", f"{marks}, '{tx}'::xid8"
    with conn.cursor() as cur:
        cur.executemany(
            f"INSERT INTO events ({columns}) VALUES ({marks})", [store_row(e) for e in events]
        )
