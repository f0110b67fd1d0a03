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


def insert_events(
    conn: psycopg.Connection[tuple[object, ...]], events: list[dict[str, object]]
) -> None:
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO events (source, id, type, partner, incident, subject, time, body)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            [
                (
                    e["source"],
                    e["id"],
                    e["type"],
                    e["partner"],
                    e["incident"],
                    e["subject"],
                    e["time"],
                    orjson.dumps(e).decode(),
                )
                for e in events
            ],
        )
