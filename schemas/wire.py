"""Reading and writing events in the wire format: structured-mode CloudEvents JSON, one event
or a batch. Whole bodies are validated by pydantic-core in one call, which is what lets the
gateway keep up; Python only runs again when a body is rejected, to explain why."""

from typing import Any

from pydantic_core import ValidationError, from_json

from schemas.events import BATCH_ADAPTER, EVENT_ADAPTER, Event
from schemas.problems import ContractError, problems_from


def parse_event_json(raw: bytes) -> Event:
    """One event in structured mode (`application/cloudevents+json`)."""
    try:
        return EVENT_ADAPTER.validate_json(raw)
    except ValidationError as error:
        raise ContractError(problems_from(error, _decoded(raw, batch=False), batch=False)) from None


def parse_batch_json(raw: bytes) -> list[Event]:
    """A non-empty batch (`application/cloudevents-batch+json`)."""
    try:
        return BATCH_ADAPTER.validate_json(raw)
    except ValidationError as error:
        raise ContractError(problems_from(error, _decoded(raw, batch=True), batch=True)) from None


def parse_event_obj(obj: object) -> Event:
    """One event already decoded to Python values, e.g. assembled from binary-mode headers."""
    try:
        return EVENT_ADAPTER.validate_python(obj)
    except ValidationError as error:
        raise ContractError(problems_from(error, [obj], batch=False)) from None


def parse_batch_objs(objs: list[object]) -> list[Event]:
    """A non-empty batch already decoded to Python values, e.g. read from a file."""
    try:
        return BATCH_ADAPTER.validate_python(objs)
    except ValidationError as error:
        raw_events = objs if isinstance(objs, list) else None
        raise ContractError(problems_from(error, raw_events, batch=True)) from None


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
    # Only the events' ids are wanted, so anything that does not decode to events has none.
    try:
        body = from_json(raw)
    except ValueError:
        return None
    if batch:
        return body if isinstance(body, list) else None
    return [body]
