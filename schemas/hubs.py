"""Food hubs and their stock. `subject` is the hub id."""

from typing import Any, ClassVar, Literal, Self

from pydantic import ConfigDict, Field, ValidationError, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from schemas.envelope import Envelope
from schemas.ids import Id
from schemas.payload import Latitude, Longitude, Payload, Quantity, Text

HubState = Literal["open", "limited", "closed"]
StockItem = Literal["food_parcel", "tinned", "dry", "fresh", "hygiene", "baby", "pet"]
StockOrigin = Literal["donation", "purchase", "transfer"]


def _both_or_neither(first: str, second: str) -> dict[str, Any]:
    """JSON Schema for two optional fields given together or not at all (null is not given)."""
    return {
        "allOf": [
            {
                "if": {"properties": {given: {"type": "number"}}, "required": [given]},
                "then": {"properties": {other: {"type": "number"}}, "required": [other]},
            }
            for given, other in ((first, second), (second, first))
        ]
    }


class HubStatus(Payload):
    """Whether a hub is open, how many parcels a day it can hand out, and where it is."""

    model_config = ConfigDict(json_schema_extra=_both_or_neither("latitude", "longitude"))

    hub_id: Id
    name: Text
    area: Id
    status: HubState
    parcels_per_day: Quantity
    # Optional, added to v1 compatibly: a hub without them sits at its area's centre on a map.
    latitude: Latitude | None = None
    longitude: Longitude | None = None

    @model_validator(mode="after")
    def _located_by_both(self) -> Self:
        # Half a place is no place: a map would have to guess the other half.
        if (self.latitude is None) == (self.longitude is None):
            return self
        given, missing = (
            ("latitude", "longitude") if self.longitude is None else ("longitude", "latitude")
        )
        reason = f"is required when data.{given} is given: a hub's place is both or neither"
        error = InitErrorDetails(
            type=PydanticCustomError("coordinate_pair", "{reason}", {"reason": reason}),
            loc=(missing,),
            input=None,
        )
        raise ValidationError.from_exception_data(type(self).__name__, [error])


class StockCounted(Payload):
    """A full count of one item at a hub: it sets the level."""

    hub_id: Id
    item: StockItem
    quantity: Quantity


class StockReceived(Payload):
    """Stock came into a hub, adding to the level."""

    hub_id: Id
    item: StockItem
    quantity: Quantity
    # `from` is a Python keyword; the wire name is only ever `from`.
    from_: StockOrigin = Field(alias="from")


class StockDistributed(Payload):
    """Stock left a hub to households, taking from the level."""

    hub_id: Id
    item: StockItem
    quantity: Quantity
    households: Quantity | None = None
    request_id: Id | None = None


class HubEnvelope(Envelope):
    """An event about a food hub."""

    subject_is: ClassVar[tuple[str, ...]] = ("data.hub_id",)


class HubStatusEvent(HubEnvelope):
    """Whether a hub is open, and its capacity."""

    type: Literal["resilience.hub.status.v1"]
    data: HubStatus


class StockCountedEvent(HubEnvelope):
    """A full count of one item at a hub."""

    type: Literal["resilience.stock.counted.v1"]
    data: StockCounted


class StockReceivedEvent(HubEnvelope):
    """Stock came into a hub."""

    type: Literal["resilience.stock.received.v1"]
    data: StockReceived


class StockDistributedEvent(HubEnvelope):
    """Stock left a hub."""

    type: Literal["resilience.stock.distributed.v1"]
    data: StockDistributed
