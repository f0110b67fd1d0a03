"""Who a request is shared with by referral, and which of its events that entitles them to.

The rule is the door's (`services.authority.rules`): a partner is involved in a request once a
`referred` naming it (`to_partner`) was accepted from the request's owner (the partner whose
event about it was accepted first) or from a partner already involved, and involvement only
grows. An involved partner receives the request's whole lifecycle: its history as accepted up
to the referral, then every event accepted after, for as long as the request lasts — its own
events excepted. The lifecycle is read in the order the event store accepted it
(`Accepted.order`), whatever the event times.

So the entitlements are a function of the accepted events alone. The door only accepts a
partner's events about a request once it is involved, so whatever order authorised events
arrive in, the same partners end up involved and receive the same events; and as a consumer
always has a prefix of the store's order, deciding again after reading more only ever adds the
shares the new events bring.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from schemas.lifecycle import REFERRED, STEP
from services.sharing.accepted import Accepted


@dataclass(frozen=True)
class Referral:
    """A referral that counts: the `referred` event's source and id, who made it, to whom."""

    source: str
    id: str
    by: str
    to: str

    @classmethod
    def of(cls, event: Mapping[str, Any]) -> Referral:
        return cls(event["source"], event["id"], event["partner"], event["data"]["to_partner"])


@dataclass(frozen=True)
class Entitlement:
    """`recipient` may receive `event` under `referral`."""

    recipient: str
    referral: Referral
    event: Mapping[str, Any]


def request_of(event: Mapping[str, Any]) -> tuple[str, str] | None:
    """(incident, request_id) of a request lifecycle event; None for any other event."""
    if event.get("type") not in STEP:
        return None
    return str(event["incident"]), str(event["data"]["request_id"])


def involvement(lifecycle: Iterable[Accepted]) -> dict[str, Referral]:
    """Each partner involved in the request, with the first referral that involved it."""
    return _involvement(_ordered(lifecycle))


def entitlements(lifecycle: Iterable[Accepted]) -> list[Entitlement]:
    """Every (recipient, event) the request's referrals entitle, each once (under the first
    referral naming the recipient), in lifecycle order."""
    ordered = _ordered(lifecycle)
    involved = _involvement(ordered)
    return [
        Entitlement(recipient, referral, event)
        for event in ordered
        for recipient, referral in involved.items()
        if event["partner"] != recipient
    ]


def _involvement(ordered: Sequence[Mapping[str, Any]]) -> dict[str, Referral]:
    # Who may refer at a referral depends only on what was accepted before it, so what a
    # prefix of the lifecycle entitles, the whole of it entitles too.
    involved: dict[str, Referral] = {}
    if not ordered:
        return involved
    owner = ordered[0]["partner"]
    for event in ordered:
        to = event["data"].get("to_partner") if event["type"] == REFERRED else None
        if to is not None and to not in involved and event["partner"] in {owner, *involved}:
            involved[to] = Referral.of(event)
    return involved


def _ordered(lifecycle: Iterable[Accepted]) -> list[Mapping[str, Any]]:
    unique = {(a.event["source"], a.event["id"]): a for a in lifecycle}
    return [a.event for a in sorted(unique.values(), key=lambda a: a.order)]
