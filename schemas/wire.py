"""Reading and writing events in the wire format: structured-mode CloudEvents JSON, one event
or a batch. Whole bodies are validated by pydantic-core in one call, which is what lets the
gateway keep up; Python only runs again when that fails: for events that carry what the door
settles first (extensions, `data_base64`, see schemas.door), or to explain why a body is
refused."""

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic_core import ValidationError, from_json

from schemas.door import AtTheDoor, at_the_door
from schemas.events import BATCH_ADAPTER, EVENT_ADAPTER, Event
from schemas.problems import ContractError, Problem, problems_from, raw_event_id

AcceptedEvent = bytes | str | Mapping[str, Any]
"""An accepted event as the consumers of `events.accepted` take it: its JSON as the broker
carries it (bytes or text), or already decoded."""


def parse_event_json(raw: bytes) -> Event:
    """One event in structured mode (`application/cloudevents+json`)."""
    try:
        return EVENT_ADAPTER.validate_json(raw)
    except ValidationError as error:
        decoded = _decoded(raw, batch=False)
        if decoded is None:
            raise ContractError(problems_from(error, None, batch=False)) from None
    return _through_the_door(decoded, batch=False)[0]


def parse_batch_json(raw: bytes) -> list[Event]:
    """A non-empty batch (`application/cloudevents-batch+json`)."""
    try:
        return BATCH_ADAPTER.validate_json(raw)
    except ValidationError as error:
        decoded = _decoded(raw, batch=True)
        if decoded is None:
            raise ContractError(problems_from(error, None, batch=True)) from None
    return _through_the_door(decoded, batch=True)


def parse_event_obj(obj: object) -> Event:
    """One event already decoded to Python values, e.g. assembled from binary-mode headers."""
    try:
        return EVENT_ADAPTER.validate_python(obj)
    except ValidationError:
        return _through_the_door([obj], batch=False)[0]


def parse_batch_objs(objs: list[object]) -> list[Event]:
    """A non-empty batch already decoded to Python values, e.g. read from a file."""
    try:
        return BATCH_ADAPTER.validate_python(objs)
    except ValidationError as error:
        if not isinstance(objs, list):
            raise ContractError(problems_from(error, None, batch=True)) from None
    return _through_the_door(objs, batch=True)


def dropped_by_id(events: Sequence[Event]) -> dict[str, list[str]]:
    """Event id → the extensions dropped from it at the door, for the events that had any."""
    dropped: dict[str, set[str]] = {}
    for event in events:
        if event.dropped_extensions:
            dropped.setdefault(event.id, set()).update(event.dropped_extensions)
    return {event_id: sorted(names) for event_id, names in dropped.items()}


def _through_the_door(raw_events: list[object], *, batch: bool) -> list[Event]:
    """`raw_events` (decoded JSON; one when not `batch`) once the door has settled what they
    carry beyond the contract, validated; ContractError listing every problem otherwise."""
    settled = [at_the_door(event) for event in raw_events]
    problems = [
        Problem(index if batch else None, raw_event_id(raw_events, index), name, reason)
        for index, door in enumerate(settled)
        for name, reason in door.problems
    ]
    objects = [door.event for door in settled]
    try:
        events = (
            BATCH_ADAPTER.validate_python(objects)
            if batch
            else [EVENT_ADAPTER.validate_python(objects[0])]
        )
    except ValidationError as error:
        found = problems_from(error, raw_events, batch=batch)
        problems += [p for p in found if not _explained(settled, p, batch=batch)]
        problems.sort(key=lambda problem: problem.index or 0)
        events = []
    if problems:
        raise ContractError(problems)
    for event, door in zip(events, settled, strict=True):
        event.dropped_at_the_door(door.dropped)
    return events


def _explained(settled: list[AtTheDoor], problem: Problem, *, batch: bool) -> bool:
    at = problem.index if batch else 0
    return at is not None and at < len(settled) and settled[at].explains(problem.field)


def event_to_json(event: Event) -> bytes:
    """The canonical structured-mode JSON of an event; absent optional attributes are left out
    and times keep the offset they were given."""
    return EVENT_ADAPTER.dump_json(event, by_alias=True, exclude_none=True)


def event_to_obj(event: Event) -> dict[str, Any]:
    """The canonical structured-mode JSON of an event, as Python values."""
    obj: dict[str, Any] = EVENT_ADAPTER.dump_python(
        event, mode="json", by_alias=True, exclude_none=True
    )
    return obj


def _decoded(raw: bytes, *, batch: bool) -> list[object] | None:
    """The events of a body as Python values; None when it does not decode to events."""
    try:
        body = from_json(raw)
    except ValueError:
        return None
    if batch:
        return body if isinstance(body, list) else None
    return [body]
