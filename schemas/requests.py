"""Requests for help from residents, and their lifecycle. `subject` is the request id."""

from typing import ClassVar, Literal

from pydantic import Field

from schemas.envelope import Envelope
from schemas.ids import Id
from schemas.payload import INTEGER_MAX, Note, Payload, Quantity

Need = Literal[
    "food",
    "prescription",
    "shopping",
    "befriending",
    "welfare_check",
    "transport",
    "financial",
    "other",
]
Priority = Literal["urgent", "high", "routine"]
Channel = Literal["helpline", "referral", "online", "walk_in"]
DeclineReason = Literal["no_capacity", "out_of_area", "not_eligible", "duplicate", "other"]
CancelReason = Literal["withdrawn", "unreachable", "duplicate", "other"]


class RequestRaised(Payload):
    """A resident needs help. The person is only ever a pseudonymous `person_ref`."""

    request_id: Id
    need: Need
    priority: Priority
    area: Id
    household_size: int = Field(
        ge=1, le=INTEGER_MAX, description=f"an integer from 1 to {INTEGER_MAX:,}"
    )
    shielding: bool
    channel: Channel
    person_ref: Id | None = None


class RequestTriaged(Payload):
    """The request's need or priority was (re)assessed."""

    request_id: Id
    priority: Priority
    need: Need


class RequestReferred(Payload):
    """The request was passed to another partner."""

    request_id: Id
    to_partner: Id
    reason: Note | None = None


class RequestAccepted(Payload):
    """The publishing partner takes the request on."""

    request_id: Id


class RequestDeclined(Payload):
    """The publishing partner will not take the request on."""

    request_id: Id
    reason: DeclineReason


class RequestFulfilled(Payload):
    """The help was given; the request is closed."""

    request_id: Id
    volunteer_minutes: Quantity | None = None


class RequestCancelled(Payload):
    """The request was withdrawn before it was fulfilled; it is closed."""

    request_id: Id
    reason: CancelReason


class RequestEnvelope(Envelope):
    """An event about a request for help."""

    subject_is: ClassVar[tuple[str, ...]] = ("data.request_id",)


class RequestRaisedEvent(RequestEnvelope):
    """A resident needs help."""

    type: Literal["resilience.request.raised.v1"]
    data: RequestRaised


class RequestTriagedEvent(RequestEnvelope):
    """The request's need or priority was (re)assessed."""

    type: Literal["resilience.request.triaged.v1"]
    data: RequestTriaged


class RequestReferredEvent(RequestEnvelope):
    """The request was passed to another partner."""

    type: Literal["resilience.request.referred.v1"]
    data: RequestReferred


class RequestAcceptedEvent(RequestEnvelope):
    """The publishing partner takes the request on."""

    type: Literal["resilience.request.accepted.v1"]
    data: RequestAccepted


class RequestDeclinedEvent(RequestEnvelope):
    """The publishing partner will not take the request on."""

    type: Literal["resilience.request.declined.v1"]
    data: RequestDeclined


class RequestFulfilledEvent(RequestEnvelope):
    """The help was given; the request is closed."""

    type: Literal["resilience.request.fulfilled.v1"]
    data: RequestFulfilled


class RequestCancelledEvent(RequestEnvelope):
    """The request was withdrawn before it was fulfilled; it is closed."""

    type: Literal["resilience.request.cancelled.v1"]
    data: RequestCancelled
