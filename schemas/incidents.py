"""Incidents (crises) that every event belongs to. `subject` is the incident id."""

from typing import ClassVar, Literal

from pydantic import Field

from schemas.envelope import Envelope
from schemas.payload import Payload, Text


class IncidentDeclared(Payload):
    """An incident was declared, at a level from 1 to 4."""

    name: Text
    level: int = Field(ge=1, le=4, description="an integer from 1 to 4")


class IncidentStoodDown(Payload):
    """An incident is over. There is nothing to say beyond the envelope, so `data` is `{}`."""


class IncidentEnvelope(Envelope):
    """An event about the incident itself."""

    subject_is: ClassVar[tuple[str, ...]] = ("incident",)


class IncidentDeclaredEvent(IncidentEnvelope):
    """An incident was declared."""

    type: Literal["resilience.incident.declared.v1"]
    data: IncidentDeclared


class IncidentStoodDownEvent(IncidentEnvelope):
    """An incident is over."""

    type: Literal["resilience.incident.stood_down.v1"]
    data: IncidentStoodDown
