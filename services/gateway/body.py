"""From an HTTP request body to contract events, in every CloudEvents HTTP mode.

Structured (`application/cloudevents+json`), batch (`application/cloudevents-batch+json`),
binary (`ce-*` headers, the body is `data`), and plain `application/json` holding one event or
an array of them, for clients that cannot set a CloudEvents media type.
"""

from __future__ import annotations

from collections.abc import Mapping

import orjson

from schemas import (
    ContractError,
    Event,
    Problem,
    parse_batch_json,
    parse_event_json,
    parse_event_obj,
)

STRUCTURED = "application/cloudevents+json"
BATCH = "application/cloudevents-batch+json"
JSON = "application/json"


class UnsupportedMediaType(ValueError):
    pass


def media_type(headers: Mapping[str, str]) -> str:
    return headers.get("content-type", JSON).split(";")[0].strip().lower() or JSON


def decode_events(headers: Mapping[str, str], raw: bytes) -> list[Event]:
    """Every event of the request, or ContractError naming every problem in it."""
    kind = media_type(headers)
    if "ce-specversion" in headers:
        return [parse_event_obj(_binary_event(headers, raw))]
    if kind == BATCH:
        return parse_batch_json(raw)
    if kind == STRUCTURED:
        return [parse_event_json(raw)]
    if kind == JSON or kind.endswith("+json"):
        if raw.lstrip()[:1] == b"[":
            return parse_batch_json(raw)
        return [parse_event_json(raw)]
    raise UnsupportedMediaType(
        f"unsupported content type {kind!r}: use {STRUCTURED}, {BATCH}, or {JSON}"
    )


def _binary_event(headers: Mapping[str, str], raw: bytes) -> dict[str, object]:
    event: dict[str, object] = {
        name[3:]: value for name, value in headers.items() if name.startswith("ce-")
    }
    kind = media_type(headers)
    if kind != JSON:
        raise ContractError(
            [
                Problem(
                    None,
                    _str(event.get("id")),
                    "datacontenttype",
                    "binary mode data must be application/json",
                )
            ]
        )
    event["datacontenttype"] = JSON
    try:
        event["data"] = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ContractError(
            [Problem(None, _str(event.get("id")), "data", f"body is not valid JSON: {exc}")]
        ) from None
    return event


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None
