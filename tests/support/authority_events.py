"""Events of every kind a partner can publish about requests, hubs and volunteers, as JSON
objects, for tests of who may say what."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.support.raised_requests import raised_request

Event = dict[str, Any]

_numbers = itertools.count()
SUBJECTS = ("request_id", "deployment_id", "volunteer_id", "hub_id")
REQUEST_DATA: dict[str, dict[str, Any]] = {
    "raised": raised_request(person_ref="nhs-4857773456"),
    "triaged": {"need": "food", "priority": "high"},
    "accepted": {},
    "declined": {"reason": "no_capacity"},
    "fulfilled": {"volunteer_minutes": 30},
    "cancelled": {"reason": "withdrawn"},
}


def event(
    partner: str,
    kind: str,
    data: dict[str, Any],
    incident: str = "covid-2020",
    id_: str | None = None,
    minute: int = 0,
) -> Event:
    """`kind` is the type between `resilience.` and `.v1`, e.g. `request.raised`."""
    family = kind.split(".")[0]
    subject = partner if family == "partner" else incident
    subject = next((data[name] for name in SUBJECTS if name in data), subject)
    return {
        "specversion": "1.0",
        "id": id_ or f"{kind.replace('.', '-')}-{next(_numbers)}",
        "source": f"/orgs/{partner}/case-system",
        "type": f"resilience.{kind}.v1",
        "time": (datetime(2020, 4, 1, 9, tzinfo=UTC) + timedelta(minutes=minute)).isoformat(),
        "subject": subject,
        "partner": partner,
        "incident": incident,
        "data": data,
    }


def request(partner: str, step: str, request_id: str, **kwargs: Any) -> Event:
    """A request lifecycle event; `step` is raised, triaged, accepted, declined, fulfilled,
    cancelled, or `referred` with `to_partner`."""
    to = kwargs.pop("to_partner", None)
    data = {"request_id": request_id, **({"to_partner": to} if to else REQUEST_DATA[step])}
    return event(partner, f"request.{step}", data, **kwargs)


def capacity(partner: str) -> Event:
    """The partner's capacity: `subject` is the partner."""
    return event(
        partner,
        "partner.capacity",
        {"need": "food", "capacity_per_day": 0, "status": "overwhelmed"},
    )


def hub(partner: str, kind: str, hub_id: str, **kwargs: Any) -> Event:
    """`kind`: hub.status, stock.counted, stock.received, stock.distributed."""
    data: dict[str, Any] = {
        "hub.status": {"name": "A hub", "area": "grove", "status": "open", "parcels_per_day": 9},
        "stock.counted": {"item": "tinned", "quantity": 40},
        "stock.received": {"item": "tinned", "quantity": 5, "from": "donation"},
        "stock.distributed": {"item": "tinned", "quantity": 2, "households": 1},
    }[kind]
    return event(partner, kind, {"hub_id": hub_id, **data}, **kwargs)


def volunteer(partner: str, kind: str, volunteer_id: str, **kwargs: Any) -> Event:
    """`kind`: registered, availability, stood_down."""
    data: dict[str, Any] = {
        "registered": {"skills": ["driving"], "areas": ["grove"], "hours_per_week": 6},
        "availability": {"available": False},
        "stood_down": {"reason": "moved away"},
    }[kind]
    return event(partner, f"volunteer.{kind}", {"volunteer_id": volunteer_id, **data}, **kwargs)


def deployment(
    partner: str, kind: str, deployment_id: str, volunteer_id: str = "", **kwargs: Any
) -> Event:
    """`kind`: deployed (of `volunteer_id`), checked_in, checked_out."""
    data: dict[str, Any] = {
        "deployed": {"volunteer_id": volunteer_id, "area": "grove", "role": "delivery"},
        "checked_in": {},
        "checked_out": {"minutes": 45},
    }[kind]
    return event(partner, f"volunteer.{kind}", {"deployment_id": deployment_id, **data}, **kwargs)


def binary(event: Event) -> tuple[dict[str, Any], dict[str, str]]:
    """The event in binary mode over HTTP: its data, and its attributes as ce-* headers."""
    return event["data"], {f"ce-{k}": str(v) for k, v in event.items() if k != "data"}
