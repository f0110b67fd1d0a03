"""Every event type of the contract, as one union discriminated on `type`."""

from collections.abc import Mapping
from typing import Annotated, Any, TypeAlias, get_args

from pydantic import BaseModel, Field, TypeAdapter

from schemas.envelope import Envelope
from schemas.hubs import (
    HubStatusEvent,
    StockCountedEvent,
    StockDistributedEvent,
    StockReceivedEvent,
)
from schemas.incidents import IncidentDeclaredEvent, IncidentStoodDownEvent
from schemas.partners import PartnerCapacityEvent
from schemas.requests import (
    RequestAcceptedEvent,
    RequestCancelledEvent,
    RequestDeclinedEvent,
    RequestFulfilledEvent,
    RequestRaisedEvent,
    RequestReferredEvent,
    RequestTriagedEvent,
)
from schemas.volunteers import (
    VolunteerAvailabilityEvent,
    VolunteerCheckedInEvent,
    VolunteerCheckedOutEvent,
    VolunteerDeployedEvent,
    VolunteerRegisteredEvent,
    VolunteerStoodDownEvent,
)

Event: TypeAlias = Annotated[
    RequestRaisedEvent
    | RequestTriagedEvent
    | RequestReferredEvent
    | RequestAcceptedEvent
    | RequestDeclinedEvent
    | RequestFulfilledEvent
    | RequestCancelledEvent
    | VolunteerRegisteredEvent
    | VolunteerAvailabilityEvent
    | VolunteerDeployedEvent
    | VolunteerCheckedInEvent
    | VolunteerCheckedOutEvent
    | VolunteerStoodDownEvent
    | HubStatusEvent
    | StockCountedEvent
    | StockReceivedEvent
    | StockDistributedEvent
    | PartnerCapacityEvent
    | IncidentDeclaredEvent
    | IncidentStoodDownEvent,
    Field(discriminator="type"),
]


def _type_of(model: type[Envelope]) -> str:
    (event_type,) = get_args(model.model_fields["type"].annotation)
    return str(event_type)


def _payload_of(model: type[Envelope]) -> type[BaseModel]:
    payload = model.model_fields["data"].annotation
    assert isinstance(payload, type) and issubclass(payload, BaseModel)
    return payload


ENVELOPE_MODELS: dict[str, type[Envelope]] = {
    _type_of(model): model for model in get_args(get_args(Event)[0])
}
"""Type string → the envelope model validating whole events of that type."""

EVENT_TYPES: dict[str, type[BaseModel]] = {
    event_type: _payload_of(model) for event_type, model in ENVELOPE_MODELS.items()
}
"""Type string → the payload model of its `data`."""

EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)
BATCH_ADAPTER: TypeAdapter[list[Event]] = TypeAdapter(Annotated[list[Event], Field(min_length=1)])


def subject_of(event: Mapping[str, Any]) -> Any:
    """What an event's `subject` must equal (the first rule of its type, e.g. its
    `data.request_id`), read from the event as JSON-ready values; None when it cannot be."""
    model = ENVELOPE_MODELS.get(str(event.get("type")))
    if model is None:
        return None
    value: Any = event
    for name in model.subject_is[0].split("."):
        value = value.get(name) if isinstance(value, Mapping) else None
    return value
