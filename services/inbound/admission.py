"""What each message on `events.inbound` becomes: an event for the store, or a dead letter
with its reasons. Plain data in and out; the service around it reads Kafka and writes
PostgreSQL.

A message says who produced it with its partner's token, in an `authorization: Bearer <token>`
header, checked as the gateway checks HTTP; the event's `partner` must be the token's. (The
embedded broker shows consumers no SASL principal; in production the broker's SCRAM users and
ACLs, `infra/kafka/grant-partner.sh`, also decide who may write to the topic at all.)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from schemas import ContractError, Event, Problem
from schemas.bindings import UnsupportedMediaType
from services.inbound.kafka_binding import decode_event
from services.store.dead_letters import DeadLetter
from services.store.partners import bearer_token, impersonation

CHANNEL = "kafka"
AUTHORIZATION = "authorization"

PartnerFor = Callable[[str], str | None]
"""The partner whose valid token this is, or None."""
HolderOf = Callable[[str], str | None]
"""The partner a token's id was issued to, whether or not the token is valid now (revoked,
replaced, or its secret wrong), or None: whom to show a refusal for that token."""

INVALID_TOKEN = (
    "header must carry a valid partner token: Bearer <token> (a revoked or replaced token, or"
    " one not as issued, is refused; `tandem partner rotate` issues a new one)"
)


@dataclass(frozen=True)
class InboundMessage:
    headers: Sequence[tuple[str, bytes | None]]
    value: bytes | None
    key: bytes | None = None


def admit(
    message: InboundMessage, partner_for: PartnerFor, holder_of: HolderOf = lambda _: None
) -> Event | DeadLetter:
    """The message's event if its token is valid, it is a valid event, and it is published by
    the token's partner; otherwise the dead letter saying why. A message whose token is not
    valid is refused to the partner its token id was issued to, if any: a partner producing
    with a revoked or replaced token learns of it at `GET /v1/refusals`."""
    # Header names compare as HTTP's do; undecodable bytes become U+FFFD and fail validation.
    headers = {
        name.lower(): (value or b"").decode(errors="replace") for name, value in message.headers
    }
    payload = message.value or b""
    token = bearer_token(headers.get(AUTHORIZATION, ""))
    partner = partner_for(token) if token else None
    if partner is None:
        holder = holder_of(token) if token else None
        refusal = Problem(None, None, AUTHORIZATION, INVALID_TOKEN)
        return dead_letter(holder, 401, payload, [refusal])
    try:
        event = decode_event(headers, message.value, message.key)
    except ContractError as exc:
        return dead_letter(partner, 422, payload, exc.problems)
    except UnsupportedMediaType as exc:
        return dead_letter(partner, 415, payload, [Problem(None, None, "content-type", str(exc))])
    problem = impersonation(event, partner)
    if problem is not None:
        return dead_letter(partner, 403, payload, [problem])
    return event


def dead_letter(
    partner: str | None, status: int, payload: bytes | None, problems: Sequence[Problem]
) -> DeadLetter:
    """A message refused, kept with why."""
    return DeadLetter(CHANNEL, partner, status, problems, payload or b"")


def unreadable(partition: int, offset: int, reason: str) -> DeadLetter:
    """The dead letter of a record the Kafka client could not even read (a header name that is
    not UTF-8, say): nothing of it is known but where it was."""
    where = f"record at partition {partition}, offset {offset}"
    return dead_letter(
        None, 400, b"", [Problem(None, None, "", f"{where} could not be read: {reason}")]
    )
