"""An archived incident small enough to replay in seconds, and the live figures of it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import orjson
import psycopg

from services.figures.writer import apply_batch
from services.simulate import build

INCIDENT = "kingston-2020-demo"


def compressed(count: int, span: timedelta) -> list[dict[str, Any]]:
    """The demo incident's first `count` events, their times squeezed into `span`."""
    events = sorted(build("kingston-2020").events, key=lambda e: e["time"])[:count]
    first = datetime.fromisoformat(events[0]["time"])
    last = datetime.fromisoformat(events[-1]["time"])
    scale = span / (last - first)
    return [
        {**e, "time": (first + (datetime.fromisoformat(e["time"]) - first) * scale).isoformat()}
        for e in events
    ]


def archive(database_url: str, events: list[dict[str, Any]], live: bool = True) -> None:
    """Put `events` in the archive (as the archiver does) and, unless told, in live figures."""
    with psycopg.connect(database_url) as conn:
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO archive (source, id, incident, time, type, partner, subject, body)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                [
                    (
                        e["source"],
                        e["id"],
                        e["incident"],
                        e["time"],
                        e["type"],
                        e["partner"],
                        e["subject"],
                        orjson.dumps(e).decode(),
                    )
                    for e in events
                ],
            )
        if live:
            apply_batch(conn, "live", events)
        conn.commit()


def scenario_order(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(events, key=lambda e: (datetime.fromisoformat(e["time"]), e["source"], e["id"]))
