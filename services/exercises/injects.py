"""Injects: the scenario list of an exercise (in the style of a MSEL), and what each does.

An inject fires at its scenario time. Its effect adds events to the run (a hub closes, a surge
of urgent requests, a partner goes `overwhelmed`) and/or silences a partner's replayed events
for a while (a system outage). Everything here is plain data and functions: the player decides
when, this module decides what.

    injects:
      - id: riverside-flood
        at: 2020-04-06T09:00:00Z            # scenario time (the original incident's clock)
        synopsis: Tolworth hub floods and closes
        target: kingston-foodbank
        expected_action: Move Tolworth's parcels to the central warehouse; tell the council
        events:
          - type: resilience.hub.status.v1
            partner: kingston-foodbank
            subject: tolworth-hub
            data: {hub_id: tolworth-hub, name: Tolworth hub, area: tolworth, status: closed,
                   parcels_per_day: 0}
          - type: resilience.request.raised.v1      # `repeat` makes n = 1..N copies;
            partner: rbk-council                    # "{n}" in strings becomes the copy's number
            repeat: 40
            subject: "surge-{n}"
            data: {request_id: "surge-{n}", need: food, priority: urgent, area: tolworth,
                   household_size: 2,
                   shielding: true, channel: helpline}
        suppress: {partner: kingston-foodbank, minutes: 360}
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from schemas import ContractError, parse_event_obj
from schemas.ids import ID_PATTERN
from services.authority.person_refs import door_pseudonym
from services.sharing.minimise import PERSON_REF

EXERCISE_SYSTEM = "exercise"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AddedEvent(_Strict):
    type: str
    partner: str = Field(pattern=ID_PATTERN)
    subject: str
    data: dict[str, Any]
    repeat: int = Field(default=1, ge=1, le=10_000)


class Suppression(_Strict):
    partner: str = Field(pattern=ID_PATTERN)
    minutes: int = Field(ge=1)


class Effect(_Strict):
    events: tuple[AddedEvent, ...] = ()
    suppress: Suppression | None = None


class Inject(_Strict):
    id: str = Field(pattern=ID_PATTERN)
    at: AwareDatetime
    synopsis: str = Field(min_length=1, max_length=500)
    target: str | None = Field(default=None, pattern=ID_PATTERN)
    expected_action: str | None = Field(default=None, max_length=500)
    events: tuple[AddedEvent, ...] = ()
    suppress: Suppression | None = None

    @property
    def effect(self) -> Effect:
        return Effect(events=self.events, suppress=self.suppress)


class Scenario(_Strict):
    injects: tuple[Inject, ...]


class InjectsInvalid(ValueError):
    """An injects file that would not make valid events; the message names each problem."""


def load_injects(path: Path, incident: str) -> tuple[Inject, ...]:
    """The injects of a YAML file, each checked to make contract-valid events."""
    try:
        scenario = Scenario.model_validate(yaml.safe_load(path.read_text()))
    except (yaml.YAMLError, ValueError) as exc:
        raise InjectsInvalid(f"{path}: {exc}") from exc
    ids = [inject.id for inject in scenario.injects]
    if len(set(ids)) != len(ids):
        raise InjectsInvalid(f"{path}: inject ids must be unique")
    for inject in scenario.injects:
        check_effect(inject.id, inject.effect, incident)
    return scenario.injects


def at_the_door(inject: Inject, key: bytes) -> Inject:
    """`inject` as a run keeps it: the person_ref of each event it adds replaced by the door
    pseudonym of its partner, as if that partner had published it
    (services/authority/person_refs.py)."""
    events = tuple(
        template.model_copy(
            update={
                "data": {
                    **template.data,
                    PERSON_REF: inject_person_ref(key, template.partner, person_ref),
                }
            }
        )
        if isinstance(person_ref := template.data.get(PERSON_REF), str)
        else template
        for template in inject.events
    )
    return inject.model_copy(update={"events": events})


def inject_person_ref(key: bytes, partner: str, person_ref: str) -> str:
    """The door pseudonym of a person_ref an inject writes; a "{n}" in it stays at the end, so
    the copies of a repeated event are still different people."""
    pseudonym = door_pseudonym(key, partner, person_ref)
    return pseudonym + "-{n}" if "{n}" in person_ref else pseudonym


def check_effect(inject_id: str, effect: Effect, incident: str) -> None:
    """Raise InjectsInvalid unless every event the effect adds passes the contract."""
    at = datetime(2000, 1, 1).astimezone()
    for event in added_events(inject_id, effect, incident, at):
        try:
            parse_event_obj(event)
        except ContractError as exc:
            reasons = "; ".join(f"{p.field}: {p.reason}" for p in exc.problems)
            raise InjectsInvalid(f"inject {inject_id}: {event['type']}: {reasons}") from exc


def added_events(
    inject_id: str, effect: Effect, incident: str, at: datetime
) -> list[dict[str, Any]]:
    """The events an inject adds, at run time `at`, with ids stable across re-sends."""
    events = []
    for index, template in enumerate(effect.events):
        for n in range(1, template.repeat + 1):
            events.append(
                {
                    "specversion": "1.0",
                    "id": f"inject.{inject_id}.{index}.{n}",
                    "source": f"/orgs/{template.partner}/{EXERCISE_SYSTEM}",
                    "type": template.type,
                    "time": at.isoformat(),
                    "subject": _numbered(template.subject, n),
                    "partner": template.partner,
                    "incident": incident,
                    "data": _numbered(template.data, n),
                }
            )
    return events


def _numbered(value: Any, n: int) -> Any:
    if isinstance(value, str):
        return value.replace("{n}", str(n))
    if isinstance(value, dict):
        return {key: _numbered(item, n) for key, item in value.items()}
    if isinstance(value, list):
        return [_numbered(item, n) for item in value]
    return value


class Outages:
    """Partners silenced by fired injects: (partner, scenario start, scenario end) windows."""

    def __init__(self, windows: Iterable[tuple[str, datetime, datetime]] = ()) -> None:
        self.windows: list[tuple[str, datetime, datetime]] = list(windows)

    def add(self, at: datetime, effect: Effect) -> None:
        if effect.suppress is not None:
            end = at + timedelta(minutes=effect.suppress.minutes)
            self.windows.append((effect.suppress.partner, at, end))

    def silences(self, partner: str, scenario_time: datetime) -> bool:
        if not self.windows:
            return False
        return any(p == partner and start <= scenario_time < end for p, start, end in self.windows)


def outages_of(fired: Sequence[tuple[datetime, Effect]]) -> Outages:
    outages = Outages()
    for at, effect in fired:
        outages.add(at, effect)
    return outages
