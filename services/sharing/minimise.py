"""An event cut down to what one recipient may see, and the pseudonyms people travel under.

Only named envelope attributes and named `data` fields are copied, so nothing a producer added
beyond the contract can reach a recipient. A `person_ref` never goes as published: a recipient
gets a keyed hash of it, the same for the same person every time it receives one, and different
from what any other recipient gets, so recipients cannot link people between themselves.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Collection, Mapping
from functools import cache
from typing import Any

from schemas import EVENT_TYPES
from schemas.envelope import KEPT_EXTENSIONS, Envelope

PERSON_REF = "person_ref"
PSEUDONYM_PREFIX = "pp-"
SHARED_EXTENSIONS = ("traceparent",)
"""Of the extensions kept with an event, only the trace context goes to recipients, so that a
trace can be followed across organisations. `partitionkey` and `sequence` are the producer's
own bookkeeping (a partition key may well be a case or person id), and `tracestate` carries
what the producer's tracing vendors put there."""
ENVELOPE_ATTRIBUTES = tuple(
    name
    for name in Envelope.model_fields
    if name != "data" and (name not in KEPT_EXTENSIONS or name in SHARED_EXTENSIONS)
)


@cache
def payload_fields(event_type: str) -> tuple[str, ...]:
    """The `data` field names of a type as they appear on the wire (aliases, e.g. `from`)."""
    model = EVENT_TYPES[event_type]
    return tuple(info.alias or name for name, info in model.model_fields.items())


def pseudonym(key: bytes, recipient: str, provider: str, person_ref: str) -> str:
    """`person_ref` as `recipient` sees it: an id (`pp-` and 32 hex digits). The provider is
    part of it because each organisation issues its own person_refs."""
    message = "\x00".join((recipient, provider, person_ref)).encode()
    return PSEUDONYM_PREFIX + hmac.new(key, message, hashlib.sha256).hexdigest()[:32]


def minimise(
    event: Mapping[str, Any],
    fields: Collection[str],
    *,
    pseudonymise: bool,
    recipient: str,
    key: bytes,
) -> dict[str, Any]:
    """The event with its envelope and only `fields` of its `data`; `person_ref`, when
    `pseudonymise`, as the recipient's pseudonym (it is never copied as it is)."""
    data: Mapping[str, Any] = event.get("data") or {}
    shared = {name: value for name, value in data.items() if name in fields and name != PERSON_REF}
    person_ref = data.get(PERSON_REF)
    if pseudonymise and isinstance(person_ref, str):
        shared[PERSON_REF] = pseudonym(key, recipient, str(event["partner"]), person_ref)
    envelope = {name: event[name] for name in ENVELOPE_ATTRIBUTES if name in event}
    return {**envelope, "data": shared}
