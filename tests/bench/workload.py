"""Benchmark workloads: the demo incident, copied under fresh incident ids to any size."""

from __future__ import annotations

from typing import Any

from services.simulate import build


def incident_copies(copies: int) -> list[dict[str, Any]]:
    """`copies` versions of the demo incident, each its own incident with its own event ids."""
    base = build("kingston-2020").events
    events: list[dict[str, Any]] = []
    for n in range(copies):
        incident = f"bench-{n}"
        for event in base:
            events.append({**event, "id": f"{n}-{event['id']}", "incident": incident})
    return events
