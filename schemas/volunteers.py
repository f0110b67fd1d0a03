"""Volunteers and their deployments. `subject` is the (pseudonymous) volunteer id or the
deployment id."""

from typing import ClassVar, Literal

from pydantic import Field

from schemas.envelope import Envelope
from schemas.ids import Id
from schemas.payload import FrozenList, Note, Payload, Quantity

Skill = Literal[
    "driving",
    "dbs_checked",
    "befriending",
    "shopping",
    "food_handling",
    "first_aid",
    "languages",
    "admin",
]
Role = Literal["delivery", "hub_shift", "befriending_call", "driving", "other"]


class VolunteerRegistered(Payload):
    """A volunteer signed up, with what they can do, where, and for how long each week."""

    volunteer_id: Id
    skills: FrozenList[Skill]
    areas: FrozenList[Id]
    # A week has 168 hours: anything above is a typo, not a keen volunteer.
    hours_per_week: int = Field(ge=0, le=168, description="an integer from 0 to 168")


class VolunteerAvailability(Payload):
    """The volunteer can (or can no longer) be deployed."""

    volunteer_id: Id
    available: bool


class VolunteerDeployed(Payload):
    """A volunteer was given a job: a delivery, a hub shift, a call …"""

    deployment_id: Id
    volunteer_id: Id
    area: Id
    role: Role
    request_id: Id | None = None
    hub_id: Id | None = None


class VolunteerCheckedIn(Payload):
    """The volunteer started the deployment."""

    deployment_id: Id


class VolunteerCheckedOut(Payload):
    """The volunteer finished the deployment, after `minutes` of work."""

    deployment_id: Id
    minutes: Quantity


class VolunteerStoodDown(Payload):
    """The volunteer stopped volunteering."""

    volunteer_id: Id
    reason: Note | None = None


class VolunteerEnvelope(Envelope):
    """An event about a volunteer."""

    subject_is: ClassVar[tuple[str, ...]] = ("data.volunteer_id",)


class DeploymentEnvelope(Envelope):
    """An event about one deployment of a volunteer."""

    subject_is: ClassVar[tuple[str, ...]] = ("data.deployment_id",)


class VolunteerRegisteredEvent(VolunteerEnvelope):
    """A volunteer signed up."""

    type: Literal["resilience.volunteer.registered.v1"]
    data: VolunteerRegistered


class VolunteerAvailabilityEvent(VolunteerEnvelope):
    """The volunteer can (or can no longer) be deployed."""

    type: Literal["resilience.volunteer.availability.v1"]
    data: VolunteerAvailability


class VolunteerDeployedEvent(DeploymentEnvelope):
    """A volunteer was given a job."""

    # The contract lets `subject` name the volunteer or the deployment, and this event has both.
    subject_is: ClassVar[tuple[str, ...]] = ("data.deployment_id", "data.volunteer_id")

    type: Literal["resilience.volunteer.deployed.v1"]
    data: VolunteerDeployed


class VolunteerCheckedInEvent(DeploymentEnvelope):
    """The volunteer started the deployment."""

    type: Literal["resilience.volunteer.checked_in.v1"]
    data: VolunteerCheckedIn


class VolunteerCheckedOutEvent(DeploymentEnvelope):
    """The volunteer finished the deployment."""

    type: Literal["resilience.volunteer.checked_out.v1"]
    data: VolunteerCheckedOut


class VolunteerStoodDownEvent(VolunteerEnvelope):
    """The volunteer stopped volunteering."""

    type: Literal["resilience.volunteer.stood_down.v1"]
    data: VolunteerStoodDown
