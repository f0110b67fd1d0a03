"""From a Kafka message to a contract event: the CloudEvents Kafka protocol binding.

Structured mode: the value is the event's JSON, with `content-type: application/cloudevents+json`
(or no content-type, or `application/json`). Binary mode: `ce_*` headers carry the attributes
(`ce_specversion`, `ce_id`, `ce_partner` …) and the value is the event's `data`, whose media
type is in `content-type`; a record key that is text is the `partitionkey` extension unless a
`ce_partitionkey` header says otherwise, since CloudEvents SDKs send it as the key alone. One
event per message: the binding has no batches.
"""

from __future__ import annotations

from collections.abc import Mapping

from schemas import ContractError, Event, Problem, parse_event_json
from schemas.bindings import (
    BATCH,
    CONTENT_TYPE,
    STRUCTURED,
    UnsupportedMediaType,
    is_json,
    media_type,
    parse_binary_event,
)

ATTRIBUTE_PREFIX = "ce_"
PARTITION_KEY = "partitionkey"


def decode_event(
    headers: Mapping[str, str], value: bytes | None, key: bytes | None = None
) -> Event:
    """The message's event; ContractError naming its problems, or UnsupportedMediaType."""
    if not value:
        raise ContractError([Problem(None, None, "", "message has no value")])
    try:
        value.decode()
    except UnicodeDecodeError as exc:
        raise ContractError([Problem(None, None, "", f"value is not UTF-8 text: {exc}")]) from None
    kind = media_type(headers.get(CONTENT_TYPE))
    binary = f"{ATTRIBUTE_PREFIX}specversion" in headers
    if kind == BATCH:
        raise UnsupportedMediaType(f"one event per message: {BATCH} is for HTTP only")
    if kind == STRUCTURED or (is_json(kind) and not binary):
        return parse_event_json(value)
    if binary:
        prefix = len(ATTRIBUTE_PREFIX)
        attributes = {
            name[prefix:]: text
            for name, text in headers.items()
            if name.startswith(ATTRIBUTE_PREFIX)
        }
        partition_key = _text(key)
        if partition_key is not None:
            attributes.setdefault(PARTITION_KEY, partition_key)
        return parse_binary_event(attributes, kind, value)
    raise UnsupportedMediaType(
        f"unsupported content type {kind!r}: use {STRUCTURED}, or ce_* headers (binary mode)"
    )


def _text(key: bytes | None) -> str | None:
    # A key that is not text (a hash, say) cannot be the partitionkey, which is a string.
    try:
        return None if key is None else key.decode()
    except UnicodeDecodeError:
        return None
