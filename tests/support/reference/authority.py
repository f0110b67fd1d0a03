"""Who may say what, written here from the spec's words alone, over events as JSON objects:
the reference the door's judgement is tested against."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Event = dict[str, Any]


def entities(event: Event) -> list[tuple[str, str]]:
    """What the event is about: (kind, id) of its request, hub, volunteer, deployment, or the
    incident itself; a partner's capacity is about the partner it names, and only that
    partner's own is accepted (`Authority.status`)."""
    family, data = event["type"].split(".")[1], event["data"]
    if family == "request":
        return [("request", data["request_id"])]
    if family in ("hub", "stock"):
        return [("hub", data["hub_id"])]
    if family == "volunteer":
        ids = [("deployment", data.get("deployment_id")), ("volunteer", data.get("volunteer_id"))]
        return [(kind, id_) for kind, id_ in ids if id_ is not None]
    if family == "incident":
        return [("incident", event["incident"])]
    return []


@dataclass
class Authority:
    """Owners and involvement as the accepted events establish them, one unit at a time."""

    owners: dict[tuple[str, str, str], str] = field(default_factory=dict)
    involved: set[tuple[str, str, str]] = field(default_factory=set)

    def status(self, unit: list[Event]) -> int | None:
        """403 or 409 if the unit (one partner's HTTP request or Kafka message) is refused."""
        owners = dict(self.owners)
        for event in unit:
            for kind, id_ in entities(event):
                owners.setdefault((event["incident"], kind, id_), event["partner"])
        refusals = []
        for event in unit:
            if event["type"] == "resilience.partner.capacity.v1":
                refusals += [403] if event["subject"] != event["partner"] else []
            for kind, id_ in entities(event):
                partner, incident = event["partner"], event["incident"]
                if owners[incident, kind, id_] == partner:
                    continue
                if kind == "request" and event["type"].endswith(".raised.v1"):
                    refusals.append(409)
                elif not (kind == "request" and (incident, id_, partner) in self.involved):
                    refusals.append(403)
        if not refusals:
            return None
        return 409 if set(refusals) == {409} else 403

    def accept(self, unit: list[Event]) -> None:
        for event in unit:
            for kind, id_ in entities(event):
                self.owners.setdefault((event["incident"], kind, id_), event["partner"])
            if event["type"].endswith(".referred.v1"):
                request = (event["incident"], event["data"]["request_id"])
                self.involved.add((*request, event["data"]["to_partner"]))

    def offer(self, unit: list[Event]) -> int | None:
        """Judge the unit and, if it passes, accept it; return its refusal status if any."""
        status = self.status(unit)
        if status is None:
            self.accept(unit)
        return status
