"""Valid wire events, agreements and accepted events for the sharing tests: the partners of the
Kingston demo, a request's lifecycle and a stock event, and the store accepting them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import psycopg

from schemas import event_to_obj, parse_event_obj
from services.sharing.accepted import Accepted
from services.sharing.agreements import Agreement, Terms
from services.store.events import StoredEvent, append_in

Conn = psycopg.Connection[Any]

KEY = bytes(range(32))
T0 = datetime(2020, 3, 23, 10, 0, tzinfo=UTC)
NOW = datetime(2020, 4, 1, 12, 0, tzinfo=UTC)
FOODBANK, COUNCIL, MUTUAL_AID, AGE_UK = "kingston-foodbank", "rbk-council", "mutual-aid", "age-uk"
RAISED = "resilience.request.raised.v1"
REFERRED = "resilience.request.referred.v1"
RAISED_DATA = {
    "need": "food",
    "priority": "urgent",
    "area": "kingston-town",
    "household_size": 3,
    "shielding": True,
    "channel": "helpline",
    "person_ref": "kfb-p-4411",
}


def register(conn: Conn, *partners: str) -> None:
    """Register `partners`, each named by its id, and commit."""
    conn.execute(
        "INSERT INTO partners (id, name) SELECT p, p FROM unnest(%s::text[]) p", (list(partners),)
    )
    conn.commit()


def wire_event(
    kind: str, event_id: str, partner: str, minute: int, data: dict[str, Any], subject: str
) -> dict[str, Any]:
    """A valid event as the gateway accepted it (the canonical wire form)."""
    obj = {
        "specversion": "1.0",
        "id": event_id,
        "source": f"/orgs/{partner}/crm",
        "type": f"resilience.{kind}.v1",
        "time": (T0 + timedelta(minutes=minute)).isoformat().replace("+00:00", "Z"),
        "subject": subject,
        "partner": partner,
        "incident": "covid-2020",
        "data": data,
    }
    return event_to_obj(parse_event_obj(obj))


def request_event(
    step: str, event_id: str, partner: str, minute: int, request_id: str = "req-1", **data: Any
) -> dict[str, Any]:
    """A request lifecycle event; `raised` gets RAISED_DATA unless fields are given."""
    payload = {**(RAISED_DATA if step == "raised" and not data else {}), **data}
    return wire_event(
        f"request.{step}",
        event_id,
        partner,
        minute,
        {"request_id": request_id, **payload},
        request_id,
    )


def stock_event(event_id: str, partner: str, minute: int = 0) -> dict[str, Any]:
    data = {"hub_id": "hub-1", "item": "tinned", "quantity": 40, "from": "donation"}
    return wire_event("stock.received", event_id, partner, minute, data, "hub-1")


def agreement(
    agreement_id: str = "dsa-1",
    *,
    from_partner: str = FOODBANK,
    to_partner: str = COUNCIL,
    types: tuple[str, ...] = (RAISED,),
    fields: tuple[str, ...] = ("request_id", "need", "area"),
    pseudonymise: bool = False,
    created_at: datetime = T0 - timedelta(days=30),
    revoked_at: datetime | None = None,
) -> Agreement:
    terms = Terms(
        from_partner,
        to_partner,
        types,
        fields,
        "plan food deliveries",
        pseudonymise,
        date(2020, 3, 1),
        date(2020, 9, 1),
    )
    return Agreement(agreement_id, terms, created_at, revoked_at)


def in_order(*events: dict[str, Any], at: datetime = NOW) -> list[Accepted]:
    """`events` as the store accepted them, at `at`, in this order."""
    return [Accepted(event, at, (1, n)) for n, event in enumerate(events)]


def accept(
    conn: Conn, events: Sequence[dict[str, Any]], at: datetime | None = None
) -> list[dict[str, Any]]:
    """Store `events` as the gateway does, accepted at `at` (now unless told), and return them:
    the router shares only what the store accepted, judged by when."""
    units = [[StoredEvent.of(parse_event_obj(event))] for event in events]
    assert append_in(conn, units).verdicts == [None] * len(units)
    if at is not None:
        conn.execute(
            "UPDATE events SET received_at = %s WHERE (source, id) IN"
            " (SELECT * FROM unnest(%s::text[], %s::text[]))",
            (at, [e["source"] for e in events], [e["id"] for e in events]),
        )
    return list(events)
