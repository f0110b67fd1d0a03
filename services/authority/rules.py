"""The rule "Authority: who may say what", as plain functions over plain data.

An event claims the entities it is about: its request, its hub (with the hub's stock), its
volunteer, its deployment (a `deployed` claims the volunteer it sends too), or the incident
itself (`declared`, `stood_down`). Each entity has an owner per incident: the partner whose
event about it was accepted first. A request also has the partners involved in it, each named
by a `referred` of its owner or of a partner already involved; involvement only grows. An event
is refused if its partner is not the owner of every entity it claims — or, for a request other
than by `raised`, not involved in it either. Another partner's `raised` for a request that
exists is a conflict (409), every other refusal is 403.

A partner's capacity claims nothing, but a partner publishes only its own (the publishing
partner being the token's): one whose subject names another partner is refused (403).

The judgement sees what was accepted before (`Roles`) plus the other events of the same unit
(one HTTP request, one Kafka message): an entity no one owns yet belongs to the unit's first
event about it.
"""

from __future__ import annotations

from collections.abc import Collection, Container, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal, NamedTuple

from schemas import Event, Problem
from schemas.hubs import HubEnvelope
from schemas.incidents import IncidentEnvelope
from schemas.partners import PartnerCapacityEvent
from schemas.requests import RequestEnvelope, RequestRaisedEvent, RequestReferredEvent
from schemas.volunteers import DeploymentEnvelope, VolunteerDeployedEvent, VolunteerEnvelope

Kind = Literal["request", "hub", "volunteer", "deployment", "incident"]
Key = tuple[str, str]  # (source, id)
Owned = tuple[str, Kind, str]  # (incident, kind, entity)
Involved = tuple[str, str, str]  # (incident, request_id, partner)

CONFLICT = 409
FORBIDDEN = 403
THE_INCIDENT = ""
"""The entity an incident's own events claim: the incident itself (the event's scope)."""


class Claim(NamedTuple):
    owned: Owned  # (incident, kind, entity)
    field: str  # where the event names it, for the partner to see

    @property
    def kind(self) -> Kind:
        return self.owned[1]

    @property
    def entity(self) -> str:
        return self.owned[2]


class Act(NamedTuple):
    """An event as the judgement sees it (a tuple: the door makes one per event it judges)."""

    key: Key
    partner: str
    incident: str
    raises: bool  # a `raised`: a conflict, not a lack of rights, when the request is another's
    claims: tuple[Claim, ...]
    refers_to: str | None  # the partner a `referred` names
    speaks_for: str | None = None  # the partner a capacity is about, its subject

    @property
    def id(self) -> str:
        return self.key[1]


def act_of(event: Event) -> Act:
    # Made for every event the door judges: list comprehensions and `_make` rather than
    # generators and a named tuple's own constructor, which is Python.
    shape, incident = _shape(type(event)), event.incident
    return Act._make(
        (
            (event.source, event.id),
            event.partner,
            incident,
            shape.raises,
            tuple(
                [
                    Claim._make(((incident, kind, id_), at))
                    for kind, id_, at in _entities(event.data, shape)
                ]
            ),
            event.data.to_partner if isinstance(event, RequestReferredEvent) else None,
            event.subject if shape.speaks_for_a_partner else None,
        )
    )


def _entities(data: Any, shape: _Shape) -> list[tuple[Kind, str, str]]:
    """(kind, entity, field naming it) of each entity an event of that shape claims."""
    return [
        (kind, THE_INCIDENT if name is None else getattr(data, name), at)
        for kind, name, at in shape.claims
    ]


@dataclass(frozen=True)
class _Shape:
    """What the judgement reads of every event of one type: worked out once per type, since
    the door judges every event it accepts."""

    raises: bool
    speaks_for_a_partner: bool
    claims: tuple[tuple[Kind, str | None, str], ...]  # kind, the data field naming it, where


@cache
def _shape(event_type: type[Event]) -> _Shape:
    return _Shape(
        raises=issubclass(event_type, RequestRaisedEvent),
        speaks_for_a_partner=issubclass(event_type, PartnerCapacityEvent),
        claims=_claims(event_type),
    )


def _claims(event_type: type[Event]) -> tuple[tuple[Kind, str | None, str], ...]:
    if issubclass(event_type, RequestEnvelope):
        return (("request", "request_id", "subject"),)
    if issubclass(event_type, HubEnvelope):
        return (("hub", "hub_id", "subject"),)
    if issubclass(event_type, VolunteerDeployedEvent):
        return (
            ("deployment", "deployment_id", "data.deployment_id"),
            ("volunteer", "volunteer_id", "data.volunteer_id"),
        )
    if issubclass(event_type, DeploymentEnvelope):
        return (("deployment", "deployment_id", "subject"),)
    if issubclass(event_type, VolunteerEnvelope):
        return (("volunteer", "volunteer_id", "subject"),)
    if issubclass(event_type, IncidentEnvelope):
        return (("incident", None, "subject"),)
    return ()


@dataclass
class Roles:
    """Owners and involvement as accepted so far, for the entities a judgement looks at; what
    it adds (`new_owners`, `new_involved`) is what the store must write."""

    owners: dict[Owned, str] = field(default_factory=dict)
    involved: set[Involved] = field(default_factory=set)
    new_owners: dict[Owned, str] = field(default_factory=dict)
    new_involved: set[Involved] = field(default_factory=set)

    @classmethod
    def known(cls, rows: Iterable[tuple[str, Kind, str, bool, str, bool]]) -> Roles:
        """From rows (incident, kind, entity, replayed, partner, involved). In an exercise run
        the run's own roles come with those of the incident it replays (`replayed`); an owner
        the run itself recorded stands, as it was only recorded when the history had none."""
        roles = cls()
        replayed_first = sorted(rows, key=lambda row: not row[3])
        for incident, kind, entity, _, partner, involved in replayed_first:
            if involved:
                roles.involved.add((incident, entity, partner))
            else:
                roles.owners[incident, kind, entity] = partner
        return roles

    def learn(self, acts: Iterable[Act]) -> None:
        """Record what accepted acts establish."""
        for act in acts:
            for claim in act.claims:
                if claim.owned not in self.owners:
                    self.owners[claim.owned] = self.new_owners[claim.owned] = act.partner
            if act.refers_to is not None:
                (claim,) = act.claims
                involved = (act.incident, claim.entity, act.refers_to)
                if involved not in self.involved:
                    self.involved.add(involved)
                    self.new_involved.add(involved)


@dataclass(frozen=True)
class Refusal:
    status: int
    problems: list[Problem]


def judge(unit: Sequence[Act], roles: Roles) -> Refusal | None:
    """Why the unit may not be stored, or None. A duplicate of a stored event is judged like
    any other: what was accepted once is accepted again, as owners never change and
    involvement only grows."""
    owners = _owners_with(roles, unit)
    involved = _involved_with(roles, owners, unit)
    problems: list[Problem] = []
    conflicts = 0
    for index, act in enumerate(unit):
        where = index if len(unit) > 1 else None
        if act.speaks_for not in (None, act.partner):
            others = f"{act.partner} publishes only its own capacity, not {act.speaks_for}'s"
            problems.append(Problem(where, act.id, "subject", others))
        for claim in act.claims:
            if owners[claim.owned] == act.partner:
                continue
            reason = _lacks(act, claim, involved)
            if reason is not None:
                problems.append(Problem(where, act.id, claim.field, reason))
                conflicts += act.raises
    if not problems:
        return None
    return Refusal(CONFLICT if conflicts == len(problems) else FORBIDDEN, problems)


def admit(
    units: Sequence[Sequence[Act]], roles: Roles, stored: Collection[Key]
) -> list[Refusal | None]:
    """Judge units in turn, each seeing what those before it established (the events of one
    group commit, or of one batch of Kafka messages); `roles` learns what the accepted ones
    establish. `stored`: those of `may_establish(units, roles)` already in the store; a
    duplicate, like a second copy in the same units, is not stored, so establishes nothing."""
    seen = set(stored)
    verdicts: list[Refusal | None] = []
    for unit in units:
        verdict = judge(unit, roles)
        if verdict is None:
            fresh = [act for act in unit if act.key not in seen]
            roles.learn(fresh)
            seen.update(act.key for act in fresh)
        verdicts.append(verdict)
    return verdicts


def may_establish(units: Iterable[Iterable[Act]], roles: Roles) -> set[Key]:
    """The events among `units` that could establish a role: those about an entity no one owns
    yet, and referrals. Only for these does it matter whether they are stored already (the
    rest establish nothing either way), so only these are looked up."""
    owners = roles.owners
    return {
        act.key
        for unit in units
        for act in unit
        # Not any(): a generator per event is most of this function's cost on a big batch.
        if act.refers_to is not None or not owners.keys() >= {claim.owned for claim in act.claims}
    }


def _owners_with(roles: Roles, acts: Iterable[Act]) -> dict[Owned, str]:
    """The owners of the entities the unit claims, as they stand once it is accepted: an
    entity no one owned goes to the first of the unit's events about it."""
    known, owners = roles.owners, {}
    for act in acts:
        for claim in act.claims:
            if claim.owned not in owners:
                owners[claim.owned] = known.get(claim.owned, act.partner)
    return owners


@dataclass(frozen=True)
class _Grown(Container[Involved]):
    """Involvement known before, and what the unit's own referrals add to it."""

    before: set[Involved]
    added: set[Involved] = field(default_factory=set)

    def __contains__(self, item: object) -> bool:
        return item in self.added or item in self.before


def _involved_with(roles: Roles, owners: Mapping[Owned, str], acts: Iterable[Act]) -> _Grown:
    """Involvement once the unit's referrals that may be made are made: a referral counts when
    its partner owns the request or is involved in it, perhaps through another of the unit."""
    involved = _Grown(roles.involved)
    referrals = [act for act in acts if act.refers_to is not None]
    grown = True
    while grown:
        grown = False
        for act in referrals:
            (claim,) = act.claims
            made = (act.incident, claim.entity, str(act.refers_to))
            if made not in involved and _may_act_on(act, claim, owners, involved):
                involved.added.add(made)
                grown = True
    return involved


def _may_act_on(
    act: Act, claim: Claim, owners: Mapping[Owned, str], involved: Container[Involved]
) -> bool:
    if owners[claim.owned] == act.partner:
        return True
    return claim.kind == "request" and (act.incident, claim.entity, act.partner) in involved


def _lacks(act: Act, claim: Claim, involved: Container[Involved]) -> str | None:
    """What the partner, not the owner, lacks to say this about the entity, in words; None if
    nothing (it is involved in the request)."""
    partner, entity = act.partner, claim.entity
    if claim.kind == "request":
        if act.raises:
            return (
                f"request {entity} exists in incident {act.incident} and is not {partner}'s:"
                " it belongs to the partner whose event about it was accepted first; choose"
                " another request_id"
            )
        if (act.incident, entity, partner) in involved:
            return None
        return (
            f"{partner} is neither the owner of request {entity} nor involved in it: a partner"
            " is involved once the owner, or a partner involved, refers the request to it"
        )
    return f"{partner} {_NOT_OWNER[claim.kind].format(entity=entity)}"


_NOT_OWNER: dict[Kind, str] = {
    "hub": (
        "does not own hub {entity}: a hub and its stock belong to the partner that first"
        " published about the hub"
    ),
    "volunteer": (
        "does not own volunteer {entity}: a volunteer and its deployments belong to the partner"
        " that registered the volunteer"
    ),
    "deployment": (
        "does not own deployment {entity}: a deployment belongs to the partner whose `deployed`"
        " created it"
    ),
    "incident": (
        "did not declare this incident: only the partner that first declared it (or stood it"
        " down) declares or stands it down"
    ),
}
