"""What an event may carry beyond Tandem's own attributes, settled before it is validated.

The CloudEvents specification lets producers send `data_base64` in place of `data`, and add
extension attributes. `data_base64` is decoded here into the `data` it stands for. The
documented extensions (`KEPT_EXTENSIONS`) are attributes of the envelope like any other; every
other extension is dropped here, before anything is stored, logged or shared, because it could
carry what minimising `data` for recipients would cut. Its name is kept so the partner can be
told. A name the specification does not allow is a problem, as is `data` with `data_base64`.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field

from pydantic_core import from_json

from schemas.envelope import DATA_BASE64, EXTENSION_NAME_PATTERN, Envelope

_EXTENSION_NAME = re.compile(EXTENSION_NAME_PATTERN)
ATTRIBUTES = frozenset(Envelope.model_fields)
"""Every attribute of Tandem's envelope, the kept extensions and `data` included."""
NAME_RULE = (
    "is not an attribute of the contract, and not an extension name the CloudEvents "
    "specification allows (1 to 20 lower-case letters a-z or digits 0-9)"
)


@dataclass
class AtTheDoor:
    """An event (as decoded JSON) as it goes on to be validated: without dropped extensions,
    with `data_base64` decoded into `data`; the names dropped, and (field, reason) problems."""

    event: object
    dropped: tuple[str, ...] = ()
    problems: list[tuple[str, str]] = field(default_factory=list)
    undecodable: bool = False
    """`data_base64` could not be decoded: what validation says of `data` goes unsaid."""

    def explains(self, field_name: str) -> bool:
        """Whether a problem validation finds with `field_name` was reported here already."""
        return self.undecodable and field_name == "data"


def at_the_door(event: object) -> AtTheDoor:
    """What goes on to validation of `event`; anything but a JSON object goes on as it is."""
    if not isinstance(event, dict):
        return AtTheDoor(event)
    kept: dict[str, object] = {}
    dropped: list[str] = []
    problems: list[tuple[str, str]] = []
    undecodable = False
    for name, value in event.items():
        if name in ATTRIBUTES:
            kept[name] = value
        elif name == DATA_BASE64:
            if "data" in event:
                problems.append((DATA_BASE64, "must not be given with data: send one of them"))
            else:
                data = _decoded_data(value, problems)
                undecodable = data is _UNDECODABLE
                if not undecodable:
                    kept["data"] = data
        elif _EXTENSION_NAME.fullmatch(name):
            dropped.append(name)
        else:
            problems.append((name, NAME_RULE))
    return AtTheDoor(kept, tuple(sorted(dropped)), problems, undecodable)


_UNDECODABLE = object()


def _decoded_data(value: object, problems: list[tuple[str, str]]) -> object:
    """The data `value` stands for, checked afterwards like `data`; _UNDECODABLE otherwise."""
    reason = "must be base64 (RFC 4648) of the event's JSON data"
    if not isinstance(value, str):
        problems.append((DATA_BASE64, reason))
        return _UNDECODABLE
    try:
        return from_json(base64.b64decode(value, validate=True))
    except (binascii.Error, ValueError) as exc:
        problems.append((DATA_BASE64, f"{reason}: {exc}"))
        return _UNDECODABLE
