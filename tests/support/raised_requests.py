"""The data of a `request.raised` event as most tests publish it: a shielding household of two in
Tolworth asking the helpline for food, urgently; and the council's whole event of it."""

from __future__ import annotations

from typing import Any

from tests.support.partnership import COUNCIL


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


def council_raised(n: int) -> dict[str, Any]:
    """The council's `raised` event of request r{n}, in covid-2020, on 1 April 2020."""
    return {
        "specversion": "1.0",
        "id": f"raised-{n}",
        "source": f"/orgs/{COUNCIL}/helpline",
        "type": "resilience.request.raised.v1",
        "time": f"2020-04-01T09:{n:02d}:00Z",
        "subject": f"r{n}",
        "partner": COUNCIL,
        "incident": "covid-2020",
        "data": raised_request(f"r{n}", f"p-{n:06d}"),
    }
