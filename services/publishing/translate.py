"""Rows into contract events: through a mapping, or, without one, rows that already are events
(JSON) or whose columns are named after the event's attributes (`id`, `time`, `data.item` …).

A translator also says which column of the file an attribute came from, so that a problem the
contract finds in `data.priority` can be reported against the partner's "Priority" column.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Protocol

from schemas import ENVELOPE_MODELS
from schemas.events import subject_of
from services.publishing.cells import (
    CellError,
    Kind,
    as_list,
    converter,
    is_blank,
    normalised,
    payload_kinds,
    slug,
    text_of,
    unchanged,
)
from services.publishing.mapping import PLACEHOLDER, Cell, EventMapping, EventRule, MappingProblem
from services.publishing.rows import Row

ENVELOPE_KINDS: dict[str, Kind] = {"time": "time", "id": "string", "subject": "string"}


@dataclass(frozen=True)
class Made:
    """An event made from a row, and what could not be made of it: attribute → reason."""

    event: dict[str, Any]
    rule: int
    problems: dict[str, str] = field(default_factory=dict)


class Translator(Protocol):
    def events(self, row: Row) -> list[Made]:
        """The events a row makes (none when no rule applies to it)."""
        ...

    def column_of(self, rule: int, attribute: str) -> str | None:
        """The column(s) of the file an attribute (e.g. `data.need`) came from, if any."""
        ...


class EventObjects:
    """JSON rows that are CloudEvents already."""

    def events(self, row: Row) -> list[Made]:
        return [Made(row.values, 0)]

    def column_of(self, rule: int, attribute: str) -> str | None:
        return None


class AttributeColumns:
    """A sheet whose columns are the events' attributes: `id`, `source`, `type`, `time`,
    `partner`, `incident`, `data.hub_id` … (`specversion` and `subject` may be left out)."""

    def __init__(self, columns: list[str]) -> None:
        self.columns = set(columns)

    def events(self, row: Row) -> list[Made]:
        event: dict[str, Any] = {"specversion": "1.0", "data": {}}
        kinds = {**ENVELOPE_KINDS, **_data_kinds(str(row.values.get("type")))}
        problems = {}
        for name, value in row.values.items():
            if is_blank(value):
                continue
            try:
                _put(event, name, converter(kinds.get(name, "string"), None, None)(value))
            except CellError as error:
                problems[name] = str(error)
        if "subject" not in event and (subject := subject_of(event)) is not None:
            event["subject"] = subject
        return [Made(event, 0, problems)]

    def column_of(self, rule: int, attribute: str) -> str | None:
        name = attribute_of(attribute)
        return name if name in self.columns else None


@dataclass(frozen=True)
class _Target:
    attribute: str
    read: Callable[[dict[str, Any]], Any]
    columns: str | None

    @property
    def in_data(self) -> bool:
        return self.attribute.startswith("data.")

    @property
    def key(self) -> str:
        return self.attribute.removeprefix("data.")


@dataclass(frozen=True)
class _Rule:
    type: str
    applies: Callable[[dict[str, Any]], bool] | None
    targets: tuple[_Target, ...]
    default_subject: bool
    envelope: dict[str, Any]
    """The attributes every event of the rule has: its constants."""
    data: dict[str, Any]
    readers: tuple[tuple[str, bool, str, Callable[[dict[str, Any]], Any]], ...]
    """(key, in `data`?, attribute, read) of the values that depend on the row."""


class MappedRows:
    """Rows read through a mapping; the mapping is compiled once into plain functions."""

    def __init__(self, mapping: EventMapping) -> None:
        self.mapping = mapping
        self._rules = [self._compile(rule) for rule in mapping.events]
        self._columns = [
            {target.attribute: target.columns for target in rule.targets} for rule in self._rules
        ]
        for rule, columns in zip(mapping.events, self._columns, strict=True):
            if rule.subject is None:
                columns["subject"] = columns.get(ENVELOPE_MODELS[rule.type].subject_is[0])

    def events(self, row: Row) -> list[Made]:
        values = row.values
        made = []
        for index, rule in enumerate(self._rules):
            if rule.applies is not None and not rule.applies(values):
                continue
            data = rule.data.copy()
            event = {**rule.envelope, "data": data}
            problems = {}
            for key, in_data, attribute, read in rule.readers:
                try:
                    value = read(values)
                except CellError as error:
                    problems[attribute] = str(error)
                    continue
                if value is not None:
                    (data if in_data else event)[key] = value
            if rule.default_subject and (subject := subject_of(event)) is not None:
                event["subject"] = subject
            made.append(Made(event, index, problems))
        return made

    def column_of(self, rule: int, attribute: str) -> str | None:
        return self._columns[rule].get(attribute_of(attribute))

    def _compile(self, rule: EventRule) -> _Rule:
        cells = {
            "id": rule.id,
            "time": rule.time,
            "incident": rule.incident or self.mapping.incident,
            **({"subject": rule.subject} if rule.subject else {}),
            **{f"data.{name}": cell for name, cell in rule.data.items()},
        }
        kinds = {**ENVELOPE_KINDS, **_data_kinds(rule.type)}
        targets = tuple(
            _Target(
                attribute,
                self._reader(cell, kinds.get(attribute, "string")),
                ", ".join(cell.columns) or None,
            )
            for attribute, cell in cells.items()
        )
        envelope: dict[str, Any] = {
            "specversion": "1.0",
            "source": self.mapping.source,
            "type": rule.type,
            "partner": self.mapping.partner,
        }
        data: dict[str, Any] = {}
        readers = []
        for target in targets:
            if target.columns is None:  # a constant: made once, here
                try:
                    value = target.read({})
                except CellError as error:
                    raise MappingProblem(f"{rule.type} {target.attribute}: {error}") from None
                (data if target.in_data else envelope)[target.key] = value
            else:
                readers.append((target.key, target.in_data, target.attribute, target.read))
        return _Rule(
            rule.type,
            _condition(rule),
            targets,
            rule.subject is None,
            envelope,
            data,
            tuple(readers),
        )

    def _reader(self, cell: Cell, kind: Kind) -> Callable[[dict[str, Any]], Any]:
        source = _source(cell)
        # A list cell ("Driving; First aid") is mapped item by item.
        array = kind == "array"
        one = partial(_each, self._one(cell, "string")) if array else self._one(cell, kind)

        def read(values: dict[str, Any]) -> Any:
            value = source(values)
            return None if value is None or value == "" or is_blank(value) else one(value)

        return read

    def _one(self, cell: Cell, kind: Kind) -> Callable[[Any], Any]:
        """A non-blank value through the partner's codes, the contract's type, and `slug`."""
        convert = converter(kind, cell.format, self.mapping.zone)
        if cell.values is None and not cell.slug:
            return convert
        lookup = _lookup(cell.values) if cell.values is not None else unchanged
        if cell.slug:
            return lambda value: slug(str(convert(lookup(value))))
        return lambda value: convert(lookup(value))


def _source(cell: Cell) -> Callable[[dict[str, Any]], Any]:
    if cell.column is not None:
        column = cell.column
        return lambda values: values.get(column)
    if cell.template is not None:
        return _template(cell.template)
    constant = cell.value
    return lambda values: constant


def _template(template: str) -> Callable[[dict[str, Any]], str | None]:
    """ "{Case Ref}-raised" → the row's Case Ref followed by "-raised"; None when a placeholder's
    cell is empty (an id made of the rest would be wrong, not missing)."""
    literals = PLACEHOLDER.split(template)[0::2]
    columns = PLACEHOLDER.findall(template)

    def render(values: dict[str, Any]) -> str | None:
        parts = [literals[0]]
        for column, literal in zip(columns, literals[1:], strict=True):
            value = values.get(column)
            if is_blank(value):
                return None
            parts.append(text_of(value))
            parts.append(literal)
        return "".join(parts)

    return render


def _each(item: Callable[[Any], Any], value: Any) -> list[Any]:
    return list(map(item, as_list(value)))


def _lookup(codes: dict[str, Any]) -> Callable[[Any], Any]:
    table = {normalised(code): value for code, value in codes.items()}
    known = ", ".join(repr(code) for code in codes)

    def look_up(value: Any) -> Any:
        text = text_of(value)
        try:
            return table[normalised(text)]
        except KeyError:
            raise CellError(f"{text!r} is not one of the mapped values: {known}") from None

    return look_up


def _condition(rule: EventRule) -> Callable[[dict[str, Any]], bool] | None:
    when = rule.when
    if when is None:
        return None
    column = when.column
    if when.in_ is None:
        return lambda values: not is_blank(values.get(column))
    wanted = frozenset(normalised(code) for code in when.in_)
    return lambda values: normalised(text_of(values.get(column) or "")) in wanted


def _data_kinds(event_type: str) -> dict[str, Kind]:
    try:
        return {f"data.{name}": kind for name, kind in payload_kinds(event_type).items()}
    except KeyError:
        return {}


def attribute_of(field_path: str) -> str:
    """A problem's field (`data.skills.0`) as the attribute a value was made for."""
    parts = field_path.split(".")
    return ".".join(parts[:2]) if parts[0] == "data" else parts[0]


def _put(event: dict[str, Any], attribute: str, value: Any) -> None:
    if attribute.startswith("data."):
        event["data"][attribute.removeprefix("data.")] = value
    else:
        event[attribute] = value
