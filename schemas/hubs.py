"""Food hubs and their stock. `subject` is the hub id."""

from typing import ClassVar, Literal

from pydantic import Field

from schemas.envelope import Envelope
from schemas.ids import Id
from schemas.payload import Payload, Quantity, Text

HubState = Literal["open", "limited", "closed"]
StockItem = Literal["food_parcel", "tinned", "dry", "fresh", "hygiene", "baby", "pet"]
StockOrigin = Literal["donation", "purchase", "transfer"]


class HubStatus(Payload):
    """Whether a hub is open, and how many parcels a day it can hand out."""

    hub_id: Id
    name: Text
    area: Id
    status: HubState
    parcels_per_day: Quantity


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
