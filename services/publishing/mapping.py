"""The mapping file: how a partner's own columns and codes become contract events.

A YAML file, checked whole when it is loaded (a typo in it fails before any row is read):

    partner: rbk-council            # the publishing partner; source is /orgs/{partner}/{system}
    system: case-system
    incident: covid-2020
    timezone: Europe/London         # for times the file gives without an offset (default UTC)
    sheet: Cases                    # .xlsx only: the sheet to read (default the first)
    events:                         # each row makes one event per rule whose `when` holds
      - type: resilience.request.raised.v1
        id: "{Case Ref}-raised"     # a template: the same row always makes the same id
        time: {column: Date Logged, format: "%d/%m/%Y %H:%M"}
        data:
          request_id: {column: Case Ref, slug: true}
          priority: {column: Priority, values: {"Urgent - same day": urgent}}
          channel: helpline         # a constant (a template without placeholders)
      - type: resilience.request.fulfilled.v1
        when: {column: Status, in: ["Closed - completed"]}
        ...

A value (`Cell`) is a template string ("{Column}" placeholders), `{column: …}`, `{template:
…}` or `{value: …}` (a constant of any JSON type), with optional `values` (the partner's codes
→ the contract's), `slug` (lower-case it into an id) and, for `time`, a strptime `format`.
`subject` defaults to what the contract says it must equal; `incident` may be set per rule.
"""

from __future__ import annotations

import re
from functools import cached_property
from pathlib import Path
from typing import Any, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from schemas import ENVELOPE_MODELS, EVENT_TYPES
from schemas.ids import Id

Scalar = str | bool | int | float
PLACEHOLDER = re.compile(r"\{([^{}]+)\}")
_STRICT = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class MappingProblem(ValueError):
    """The mapping file is not a valid mapping; the message says every problem."""


class Cell(BaseModel):
    """How one attribute's value is made from a row: exactly one of `column`, `template`,
    `value`."""

    model_config = _STRICT

    column: str | None = None
    template: str | None = None
    value: Scalar | None = None
    values: dict[str, Scalar] | None = None
    slug: bool = False
    format: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, given: Any) -> Any:
        if isinstance(given, str):
            return {"template": given}
        if isinstance(given, bool | int | float):
            return {"value": given}
        return given

    @model_validator(mode="after")
    def _one_source(self) -> Self:
        sources = [self.column, self.template, self.value]
        if sum(source is not None for source in sources) != 1:
            raise ValueError("give exactly one of column, template or value")
        if self.template is not None and PLACEHOLDER.sub("", self.template).count("{"):
            raise ValueError(f"template {self.template!r} has an unclosed '{{'")
        return self

    @property
    def columns(self) -> tuple[str, ...]:
        """The file's columns this value is read from."""
        if self.column is not None:
            return (self.column,)
        return tuple(PLACEHOLDER.findall(self.template or ""))


class Condition(BaseModel):
    """A rule applies to a row when `column` holds one of `in` (compared as `values` are:
    ignoring case and spacing), or, without `in`, when `column` is filled at all."""

    model_config = _STRICT

    column: str
    in_: tuple[str, ...] | None = Field(default=None, alias="in")


class EventRule(BaseModel):
    """One event made from a row."""

    model_config = _STRICT

    type: str
    when: Condition | None = None
    id: Cell
    time: Cell
    subject: Cell | None = None
    incident: Cell | None = None
    data: dict[str, Cell] = Field(default_factory=dict)

    @field_validator("type")
    @classmethod
    def _known_type(cls, event_type: str) -> str:
        if event_type not in ENVELOPE_MODELS:
            raise ValueError(f"{event_type!r} is not an event type: {', '.join(ENVELOPE_MODELS)}")
        return event_type

    @model_validator(mode="after")
    def _payload_fields(self) -> Self:
        fields = {
            (info.alias or name): info.is_required()
            for name, info in EVENT_TYPES[self.type].model_fields.items()
        }
        unknown = sorted(set(self.data) - set(fields))
        missing = [name for name, required in fields.items() if required and name not in self.data]
        problems = []
        if unknown:
            problems.append(f"data has fields {self.type} does not: {', '.join(unknown)}")
        if missing:
            problems.append(f"data lacks fields {self.type} requires: {', '.join(missing)}")
        if problems:
            raise ValueError(f"{'; '.join(problems)} (its fields: {', '.join(fields)})")
        return self


class EventMapping(BaseModel):
    model_config = _STRICT

    partner: Id
    system: Id
    incident: Cell
    timezone: str = "UTC"
    sheet: str | None = None
    events: list[EventRule] = Field(min_length=1)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, name: str) -> str:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{name!r} is not a time zone, e.g. Europe/London") from None
        return name

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def source(self) -> str:
        return f"/orgs/{self.partner}/{self.system}"

    def columns(self) -> set[str]:
        """Every column of the file the mapping reads."""
        named: set[str] = set(self.incident.columns)
        for rule in self.events:
            cells = [rule.id, rule.time, rule.subject, rule.incident, *rule.data.values()]
            named.update(column for cell in cells if cell for column in cell.columns)
            if rule.when:
                named.add(rule.when.column)
        return named


def load_mapping(path: Path) -> EventMapping:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise MappingProblem(f"mapping {path.name}: {exc}") from None
    try:
        return EventMapping.model_validate(document)
    except ValidationError as error:
        problems = [
            f"{_location(detail['loc'])}: {detail['msg'].removeprefix('Value error, ')}"
            for detail in error.errors(include_url=False, include_input=False)
        ]
        raise MappingProblem(f"mapping {path.name}: {'; '.join(problems)}") from None


def _location(loc: tuple[int | str, ...]) -> str:
    return (
        "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc).lstrip(".")
        or "(top level)"
    )
