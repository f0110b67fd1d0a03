"""Turns what happened into CloudEvents 1.0 structured-mode dicts (docs/events.md).

Generators describe an `Occurrence`; ids are given only once everything is sorted by time, so
each source numbers its events in the order they happened and a seed always yields the same ids.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from services.simulate.clock import rfc3339

# Each concern lives in its own system at a partner, as it would in a real organisation.
SYSTEMS = {
    "request": "casework",
    "volunteer": "volunteering",
    "hub": "food-hubs",
    "stock": "food-hubs",
    "partner": "capacity",
    "incident": "emergency-planning",
}


@dataclass(frozen=True)
class Occurrence:
    time: datetime
    partner: str
    kind: str  # the type without prefix and version, e.g. "request.raised"
    subject: str
    data: dict[str, object]


def publish(occurrences: Iterable[Occurrence], incident: str) -> list[dict[str, object]]:
    numbered: Counter[tuple[str, str]] = Counter()
    events: list[dict[str, object]] = []
    for occurrence in sorted(occurrences, key=lambda o: o.time):
        source = f"/orgs/{occurrence.partner}/{SYSTEMS[occurrence.kind.split('.')[0]]}"
        numbered[source, occurrence.kind] += 1
        events.append(
            {
                "specversion": "1.0",
                "id": f"{occurrence.kind}-{numbered[source, occurrence.kind]:06d}",
                "source": source,
                "type": f"resilience.{occurrence.kind}.v1",
                "time": rfc3339(occurrence.time),
                "subject": occurrence.subject,
                "partner": occurrence.partner,
                "incident": incident,
                "data": occurrence.data,
            }
        )
    return events
