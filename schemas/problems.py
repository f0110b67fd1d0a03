"""Turning validation failures into problems a partner can act on: which event, which field,
and why, in plain words."""

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, get_args

from pydantic_core import ErrorDetails, ValidationError
from pydantic_core.core_schema import ErrorType

from schemas.events import ENVELOPE_MODELS

JsonSchema = dict[str, Any]

_PYDANTIC_ERROR_TYPES = frozenset(get_args(ErrorType))
_ALLOWED_TYPES = ", ".join(ENVELOPE_MODELS)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a body: `index` is the event's position in a batch (None for a
    single event or the body as a whole), `id` the event's `id` as sent, when it sent one."""

    index: int | None
    id: str | None
    field: str
    reason: str

    def __str__(self) -> str:
        where = "body" if self.index is None else f"event {self.index}"
        if self.id is not None:
            where += f" (id {self.id!r})"
        return f"{where}: {self.field} {self.reason}" if self.field else f"{where} {self.reason}"


class ContractError(ValueError):
    """The body breaks the event contract; `problems` lists everything wrong with it."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(problems)
        self.problems = problems

    def __str__(self) -> str:
        return "; ".join(map(str, self.problems))


def problems_from(
    error: ValidationError, raw_events: Sequence[object] | None, *, batch: bool
) -> list[Problem]:
    """The problems in a validation error of one event (`batch=False`) or a batch.

    `raw_events` are the events as decoded (one for a single event), used to name events by
    their `id` even when that `id` is itself invalid; None when the body did not decode.
    """
    problems = []
    for detail in error.errors(include_url=False, include_input=False):
        path = list(detail["loc"])
        index = None
        if batch and path and isinstance(first := path[0], int):
            index = first
            del path[0]
        event_type = str(path.pop(0)) if path and path[0] in ENVELOPE_MODELS else None
        field, reason = _field_and_reason(detail, event_type, path)
        raw_id = raw_event_id(raw_events, index if batch else 0)
        problems.append(Problem(index, raw_id, field, reason))
    return problems


def raw_event_id(raw_events: Sequence[object] | None, index: int | None) -> str | None:
    """The `id` the event at `index` was sent with, when it is text."""
    if raw_events is None or index is None or index >= len(raw_events):
        return None
    event = raw_events[index]
    raw_id = event.get("id") if isinstance(event, dict) else None
    return raw_id if isinstance(raw_id, str) else None


def _field_and_reason(
    detail: ErrorDetails, event_type: str | None, path: list[int | str]
) -> tuple[str, str]:
    kind = detail["type"]
    field = ".".join(map(str, path))
    if kind == "union_tag_not_found":
        return "type", f"is required and must be one of: {_ALLOWED_TYPES}"
    if kind == "union_tag_invalid":
        return "type", f"must be one of: {_ALLOWED_TYPES}"
    if kind == "missing":
        return field, "is required"
    if kind == "extra_forbidden":
        return field, "unknown field"
    if kind not in _PYDANTIC_ERROR_TYPES:
        # Raised by the contract's own validators, which already speak in plain words.
        return field, detail["msg"]
    if kind == "json_invalid":
        return field, f"is not valid JSON: {detail.get('ctx', {}).get('error', '')}"
    if event_type is None:
        return field, _body_reason(kind, detail["msg"])
    schema = _schema_at(event_type, tuple(path))
    return field, "must be " + (_describe(schema) if schema else detail["msg"])


def _body_reason(kind: str, message: str) -> str:
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return "must be a JSON object (one event)"
    if kind == "list_type":
        return "must be a JSON array of events"
    if kind == "too_short":
        return "must contain at least one event"
    return message


@cache
def _envelope_schema(event_type: str) -> JsonSchema:
    return ENVELOPE_MODELS[event_type].model_json_schema()


@cache
def _schema_at(event_type: str, path: tuple[int | str, ...]) -> JsonSchema | None:
    root = _envelope_schema(event_type)
    schema = root
    for part in path:
        step = (
            schema.get("items") if isinstance(part, int) else schema.get("properties", {}).get(part)
        )
        if step is None:
            return None
        schema = _resolve(root, step)
    return schema


def _resolve(root: JsonSchema, schema: JsonSchema) -> JsonSchema:
    """Follows a `$ref`, and unwraps an optional (`anyOf` with null) to the value's own schema."""
    if "$ref" in schema:
        schema = root["$defs"][schema["$ref"].rsplit("/", 1)[-1]]
    options = [option for option in schema.get("anyOf", []) if option.get("type") != "null"]
    return _resolve(root, options[0]) if len(options) == 1 else schema


def _describe(schema: JsonSchema) -> str:
    kind = schema.get("type")
    if kind == "object":
        return "an object"
    if "description" in schema:
        return str(schema["description"])
    if "const" in schema:
        return f'"{schema["const"]}"'
    if "enum" in schema:
        return "one of: " + ", ".join(map(str, schema["enum"]))
    return {"boolean": "true or false", "array": "a list", "integer": "an integer"}.get(
        str(kind), f"a {kind}"
    )
