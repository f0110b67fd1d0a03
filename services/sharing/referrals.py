"""Who a request stands referred to, and which of its events that entitles them to.

The rule. A request's lifecycle events are read in the order the event store accepted them
(`Accepted.order`), whatever their event times: what a referral shares is then decided by what
had been accepted, and the same whenever and however often the events are read. A referral
(`referred`, `to_partner` Q) counts when made by a partner holding the request then: one that
had raised it, or the partner it stood referred to. From that referral the request stands referred
to Q until it is referred to someone else or closed (`fulfilled`, `cancelled`). While it
stands, Q receives the request's whole lifecycle as accepted up to then — the `raised` and
`triaged` details it needs to act, earlier referrals and answers — and every event accepted
after, up to and including the one that ends the referral (so Q learns it can stop), and
nothing accepted later. A partner never receives its own events.

Because a consumer always has a prefix of that order, the entitlements of what it has are
among those of everything: deciding again after reading more only ever adds the shares the
new events bring.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from schemas.lifecycle import CLOSING, RAISED, REFERRED, STEP
from services.sharing.accepted import Accepted


@dataclass(frozen=True)
class Referral:
    """A referral that counts: the `referred` event's source and id, who made it, to whom."""

    source: str
    id: str
    by: str
    to: str
    time: datetime

    @classmethod
    def of(cls, event: Mapping[str, Any]) -> Referral:
        return cls(
            event["source"],
            event["id"],
            event["partner"],
            event["data"]["to_partner"],
            _time(event),
        )


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


def referral_standing(lifecycle: Iterable[Accepted]) -> Referral | None:
    """Who the request stands referred to after all these events; None if no one."""
    _, standing = _periods(_ordered(lifecycle))
    return standing


def entitlements(lifecycle: Iterable[Accepted]) -> list[Entitlement]:
    """Every (recipient, event) the request's referrals entitle, each once (under the first
    referral that does), in lifecycle order."""
    ordered = _ordered(lifecycle)
    periods, standing = _periods(ordered)
    if standing is not None:
        periods.append((standing, len(ordered) - 1))
    granted: dict[tuple[str, str, str], Entitlement] = {}
    for referral, last in periods:
        for event in ordered[: last + 1]:
            key = (referral.to, event["source"], event["id"])
            if event["partner"] != referral.to and key not in granted:
                granted[key] = Entitlement(referral.to, referral, event)
    order = {(e["source"], e["id"]): i for i, e in enumerate(ordered)}
    return sorted(granted.values(), key=lambda g: order[g.event["source"], g.event["id"]])


def _periods(
    ordered: Sequence[Mapping[str, Any]],
) -> tuple[list[tuple[Referral, int]], Referral | None]:
    """The referrals that ended, each with the index of the event that ended it, and the one
    still standing."""
    # Who holds the request at a referral depends only on what was accepted before it, so
    # what a prefix of the lifecycle entitles, the whole of it entitles too.
    raisers: set[str] = set()
    ended: list[tuple[Referral, int]] = []
    standing: Referral | None = None
    for index, event in enumerate(ordered):
        if event["type"] == RAISED:
            raisers.add(event["partner"])
        elif event["type"] == REFERRED:
            holders = raisers | ({standing.to} if standing else set())
            to = event["data"]["to_partner"]
            if event["partner"] not in holders or (standing and standing.to == to):
                continue
            if standing:
                ended.append((standing, index))
            standing = Referral.of(event)
        elif event["type"] in CLOSING and standing:
            ended.append((standing, index))
            standing = None
    return ended, standing


def _ordered(lifecycle: Iterable[Accepted]) -> list[Mapping[str, Any]]:
    unique = {(a.event["source"], a.event["id"]): a for a in lifecycle}
    return [a.event for a in sorted(unique.values(), key=lambda a: a.order)]


def _time(event: Mapping[str, Any]) -> datetime:
    # RFC 3339 allows lower-case `t` and `z`, which fromisoformat does not.
    return datetime.fromisoformat(str(event["time"]).upper())
