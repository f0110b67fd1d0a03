"""Large workloads for the benchmarks and the completeness flood: the demo incident, copied under
fresh incident ids to any size."""

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
            copy = {**event, "id": f"{n}-{event['id']}", "incident": incident}
            if event["type"].startswith("resilience.incident."):
                copy["subject"] = incident  # an incident's own events are about it
            events.append(copy)
    return events


ENTITY_KEYS = ("request_id", "volunteer_id", "deployment_id", "hub_id")


def one_big_incident(copies: int, incident: str) -> list[dict[str, Any]]:
    """`copies` of the demo interleaved in time as one incident, every entity its own."""
    base = build("kingston-2020").events
    events: list[dict[str, Any]] = []
    for event in base:
        for n in range(copies):
            data = {
                key: (f"c{n}-{value}" if key in ENTITY_KEYS else value)
                for key, value in event["data"].items()
            }
            subject = event["subject"]
            if event["type"].startswith("resilience.incident."):
                subject = incident
            elif subject in event["data"].values() and subject != event["partner"]:
                subject = f"c{n}-{subject}"
            events.append(
                {
                    **event,
                    "id": f"{n}-{event['id']}",
                    "incident": incident,
                    "subject": subject,
                    "data": data,
                }
            )
    return events
