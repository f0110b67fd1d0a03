"""Tandem's event contract: the CloudEvents envelope and payload of every event type, the
functions that parse and write them, and problems reported in plain words.

The wire format is documented for partners in docs/events.md; `python -m schemas.export`
writes the matching JSON Schema to `schemas/jsonschema/`.
"""

from schemas.events import ENVELOPE_MODELS, EVENT_TYPES, Event
from schemas.problems import ContractError, Problem
from schemas.wire import (
    event_to_json,
    event_to_obj,
    parse_batch_json,
    parse_batch_objs,
    parse_event_json,
    parse_event_obj,
)

__all__ = [
    "ENVELOPE_MODELS",
    "EVENT_TYPES",
    "ContractError",
    "Event",
    "Problem",
    "event_to_json",
    "event_to_obj",
    "parse_batch_json",
    "parse_batch_objs",
    "parse_event_json",
    "parse_event_obj",
]
