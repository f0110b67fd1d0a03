"""Partner organisations' capacity. `subject` is the publishing partner: a partner publishes
its own capacity alone, and the door refuses one about another partner (403)."""

from typing import ClassVar, Literal

from schemas.envelope import Envelope
from schemas.payload import Payload, Quantity
from schemas.requests import Need

CapacityStatus = Literal["normal", "stretched", "overwhelmed"]


class PartnerCapacity(Payload):
    """How many requests of one need the partner can take a day, and how it is coping."""

    need: Need
    capacity_per_day: Quantity
    status: CapacityStatus


class PartnerCapacityEvent(Envelope):
    """How many requests of one need the partner can take a day."""

    subject_is: ClassVar[tuple[str, ...]] = ("partner",)
    subject_judged_at_the_door: ClassVar[bool] = True

    type: Literal["resilience.partner.capacity.v1"]
    data: PartnerCapacity
