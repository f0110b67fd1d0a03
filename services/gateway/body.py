"""From an HTTP request body to contract events, in every CloudEvents HTTP mode.

Structured (`application/cloudevents+json`), batch (`application/cloudevents-batch+json`),
binary (`ce-*` headers, the body is `data`), and plain `application/json` holding one event or
an array of them, for clients that cannot set a CloudEvents media type.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import unquote

from schemas import Event, parse_batch_json, parse_event_json
from schemas.bindings import (
    BATCH,
    JSON,
    STRUCTURED,
    UnsupportedMediaType,
    is_json,
    media_type,
    parse_binary_event,
)


def decode_events(headers: Mapping[str, str], raw: bytes) -> list[Event]:
    """Every event of the request, or ContractError naming every problem in it."""
    kind = media_type(headers.get("content-type"))
    if "ce-specversion" in headers:
        # The HTTP binding percent-encodes what a header cannot carry (spaces, '"', '%', and
        # anything beyond printable ASCII), so values are decoded as the binding says.
        attributes = {
            name[3:]: unquote(value) for name, value in headers.items() if name.startswith("ce-")
        }
        return [parse_binary_event(attributes, kind, raw)]
    if kind == BATCH:
        return parse_batch_json(raw)
    if kind == STRUCTURED:
        return [parse_event_json(raw)]
    if is_json(kind):
        if raw.lstrip()[:1] == b"[":
            return parse_batch_json(raw)
        return [parse_event_json(raw)]
    raise UnsupportedMediaType(
        f"unsupported content type {kind!r}: use {STRUCTURED}, {BATCH}, or {JSON}"
    )
