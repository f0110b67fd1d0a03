"""What each consumer's ledger lacks of the event store: the archive, the live figures'
`counted_events` and the router's `routed_events`."""

from __future__ import annotations

from typing import Any

import psycopg

LEDGERS = {"archive": "archive", "figures": "counted_events", "router": "routed_events"}
RUN = {"counted_events": " AND x.run = 'live'"}


def missing_downstream(conn: psycopg.Connection[Any]) -> dict[str, int]:
    """Per consumer, how many stored events it does not hold."""
    found = {}
    for name, table in LEDGERS.items():
        row = conn.execute(
            f"SELECT count(*) FROM events e WHERE NOT EXISTS (SELECT FROM {table} x"
            f" WHERE x.source = e.source AND x.id = e.id{RUN.get(table, '')})"
        ).fetchone()
        found[name] = int(row[0]) if row else 0
    return found


def held_everywhere(database_url: str) -> bool:
    with psycopg.connect(database_url) as conn:
        return not any(missing_downstream(conn).values())
