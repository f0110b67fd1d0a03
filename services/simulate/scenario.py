"""What a demo scenario is: the partners taking part and the events they publish."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DemoPartner:
    id: str
    name: str
    kind: str  # council, volunteer_centre, foodbank, mutual_aid, charity


@dataclass(frozen=True)
class Scenario:
    incident: str
    name: str
    partners: tuple[DemoPartner, ...]
    events: list[dict[str, object]]  # CloudEvents 1.0 structured mode, sorted by `time`
