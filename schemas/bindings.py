"""What the CloudEvents protocol bindings (HTTP, Kafka) share: media types, and binary mode,
where the attributes travel as the protocol's own headers (`ce-*` over HTTP, `ce_*` over
Kafka) and the message body is the event's `data`. Each binding reads its headers into
attributes and meets the other here."""

from collections.abc import Mapping

from pydantic_core import from_json

from schemas.envelope import DATA_BASE64
from schemas.events import Event
from schemas.problems import ContractError, Problem
from schemas.wire import parse_event_obj

CONTENT_TYPE = "content-type"
"""The header naming the media type, in both bindings: `application/cloudevents+json` is
structured mode."""
STRUCTURED = "application/cloudevents+json"
BATCH = "application/cloudevents-batch+json"
JSON = "application/json"


class UnsupportedMediaType(ValueError):
    pass


def media_type(content_type: str | None) -> str:
    """The media type of a content-type value, without parameters; JSON when there is none."""
    return (content_type or JSON).split(";")[0].strip().lower() or JSON


def is_json(kind: str) -> bool:
    return kind == JSON or kind.endswith("+json")


def parse_binary_event(attributes: Mapping[str, str], content_type: str, data: bytes) -> Event:
    """One event from its attributes (header names without their prefix), the media type of its
    data, and the data itself; ContractError naming every problem otherwise."""
    event: dict[str, object] = dict(attributes)
    event_id = attributes.get("id")
    collisions = [
        Problem(None, event_id, name, "cannot be a header: in binary mode the body is the data")
        for name in ("data", DATA_BASE64)
        if name in attributes
    ]
    if collisions:
        raise ContractError(collisions)
    if content_type != JSON:
        reason = "binary mode data must be application/json"
        raise ContractError([Problem(None, event_id, "datacontenttype", reason)])
    event["datacontenttype"] = JSON
    try:
        event["data"] = from_json(data)
    except ValueError as exc:
        raise ContractError(
            [Problem(None, event_id, "data", f"body is not valid JSON: {exc}")]
        ) from None
    return parse_event_obj(event)
