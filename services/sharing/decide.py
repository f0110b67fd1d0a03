"""The sharing decision: which partners receive an event, on what basis, cut down to what.

An event goes to a partner only under an agreement in force when the event store accepted it
(from the agreement's start until its revocation; events accepted after the revocation go
nowhere under it, events accepted before it still go however late they are processed) or under
a referral of its request (see `referrals`). So the decision is the same whenever, and however
often, an event is processed. Under an agreement the recipient gets the agreed fields; under a
referral, every field of the request's events, with `person_ref` as its pseudonym. Each
(recipient, event) is shared once: when a referral and an agreement both apply, the referral's
fuller share is the one made; between agreements (which `tandem agreement add` keeps from
overlapping) the lowest id. A share once recorded stands: an event a partner got under an
agreement is not sent again when a later referral would give it more of that event, since the
same (source, id) must stay the same event for its consumers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.sharing.accepted import Accepted
from services.sharing.agreements import Agreement
from services.sharing.minimise import PERSON_REF, minimise, payload_fields
from services.sharing.referrals import Referral, entitlements, request_of


@dataclass(frozen=True)
class Share:
    """`event`, minimised for `recipient`, shared under `basis`: an agreement id or a referral.
    `request_id` is the request the original event is about, even when it is not shared, so
    the audit can answer for the request."""

    recipient: str
    basis: str | Referral
    event: dict[str, Any]
    request_id: str | None = None

    @property
    def key(self) -> tuple[str, str, str]:
        return self.recipient, self.event["source"], self.event["id"]


def agreement_shares(
    event: Mapping[str, Any], agreements: Iterable[Agreement], key: bytes, at: datetime
) -> list[Share]:
    """The shares of `event`, accepted `at`, under the agreements then in force."""
    shares = []
    for agreement in sorted(agreements, key=lambda a: a.id):
        terms = agreement.terms
        if (
            terms.from_partner == event["partner"]
            and terms.to_partner != event["partner"]
            and event["type"] in terms.types
            and agreement.in_force(at)
        ):
            minimised = minimise(
                event,
                terms.fields,
                pseudonymise=terms.pseudonymise,
                recipient=terms.to_partner,
                key=key,
            )
            shares.append(Share(terms.to_partner, agreement.id, minimised, _request_id(event)))
    return shares


def referral_shares(lifecycle: Iterable[Accepted], key: bytes) -> list[Share]:
    """Every share a request's referrals entitle, in lifecycle order."""
    return [
        Share(
            granted.recipient,
            granted.referral,
            minimise(
                granted.event,
                [f for f in payload_fields(granted.event["type"]) if f != PERSON_REF],
                pseudonymise=True,
                recipient=granted.recipient,
                key=key,
            ),
            _request_id(granted.event),
        )
        for granted in entitlements(lifecycle)
    ]


def decide(
    accepted: Accepted,
    agreements: Iterable[Agreement],
    lifecycle: Sequence[Accepted],
    key: bytes,
) -> list[Share]:
    """The shares `accepted` makes. `agreements` may include some not in force when it was
    accepted (they are skipped); `lifecycle` is every lifecycle event of the event's request
    known so far (empty for other events), with or without the event itself. Referral shares
    include the request's earlier events not yet entitled, which is how a new referral reaches
    back to the `raised`; recording is idempotent, so repeating a share already made changes
    nothing."""
    event = accepted.event
    shares = referral_shares([*lifecycle, accepted], key) if request_of(event) else []
    first: dict[tuple[str, str, str], Share] = {}
    for share in [*shares, *agreement_shares(event, agreements, key, accepted.at)]:
        first.setdefault(share.key, share)
    return list(first.values())


def _request_id(event: Mapping[str, Any]) -> str | None:
    request_id = (event.get("data") or {}).get("request_id")
    return request_id if isinstance(request_id, str) else None
