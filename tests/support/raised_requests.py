"""The data of a `request.raised` event as most tests publish it: a shielding household of two in
Tolworth asking the helpline for food, urgently."""

from __future__ import annotations

from typing import Any


def raised_request(request_id: str | None = None, person_ref: str | None = None) -> dict[str, Any]:
    """The payload, with a request_id and a person_ref only when given."""
    data: dict[str, Any] = {} if request_id is None else {"request_id": request_id}
    data |= {
        "need": "food",
        "priority": "urgent",
        "area": "tolworth",
        "household_size": 2,
        "shielding": True,
        "channel": "helpline",
    }
    if person_ref is not None:
        data["person_ref"] = person_ref
    return data
