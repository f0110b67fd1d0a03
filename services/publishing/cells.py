"""Turning one cell of a partner's file into a contract value: text into whole numbers,
booleans, lists and times, codes into ids. A cell that cannot be turned raises `CellError`
with the reason in the partner's terms; an empty cell is None (the value is left out)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, tzinfo
from functools import cache
from typing import Any

from schemas import EVENT_TYPES

Kind = str
"""What the contract wants: "string", "integer", "number", "boolean", "array" or "time"."""

_WHOLE_NUMBER = re.compile(r"[+-]?\d+")
_TRUE = frozenset({"true", "yes", "y", "1"})
_FALSE = frozenset({"false", "no", "n", "0"})
_NOT_IN_ID = re.compile(r"[^a-z0-9._]+")


class CellError(ValueError):
    """A cell's value cannot become what the contract wants; the message says why."""


def is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def text_of(value: object) -> str:
    """A cell as the partner reads it: 3.0 in a sheet is "3"."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).strip()


def normalised(text: str) -> str:
    """How codes are compared: "Urgent  - Same day" is "urgent - same day"."""
    return " ".join(text.split()).casefold()


def slug(value: str) -> str:
    """A partner's code as a contract id: "CR-2020/0042" → "cr-2020-0042"."""
    return _NOT_IN_ID.sub("-", value.casefold()).strip("-._")


@cache
def payload_kinds(event_type: str) -> dict[str, Kind]:
    """The kind of each `data` field of an event type, from the contract's JSON Schema."""
    schema = EVENT_TYPES[event_type].model_json_schema(by_alias=True)
    kinds = {}
    for name, field in schema.get("properties", {}).items():
        options = [o for o in field.get("anyOf", [field]) if o.get("type") != "null"]
        kinds[name] = str(options[0].get("type", "string")) if len(options) == 1 else "string"
    return kinds


def converter(kind: Kind, time_format: str | None, zone: tzinfo | None) -> Callable[[Any], Any]:
    """The conversion of a (non-blank) cell to `kind`."""
    if kind == "time":
        return lambda value: as_time(value, time_format, zone)
    return _CONVERTERS.get(kind, unchanged)


def as_time(value: object, time_format: str | None, zone: tzinfo | None) -> str:
    """An RFC 3339 time: parsed with the strptime `time_format` (ISO 8601 without one), given
    the time zone `zone` when the file says none."""
    moment: datetime
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    else:
        text = text_of(value)
        try:
            moment = (
                datetime.strptime(text, time_format)
                if time_format
                else datetime.fromisoformat(text)
            )
        except ValueError:
            like = f"in the format {time_format}" if time_format else "in ISO 8601"
            raise CellError(f"{text!r} is not a time {like}") from None
    if moment.tzinfo is None:
        if zone is None:
            raise CellError(f"{text_of(value)!r} has no UTC offset (a mapping can give a timezone)")
        moment = moment.replace(tzinfo=zone)
    return moment.isoformat()


def _integer(value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and _WHOLE_NUMBER.fullmatch(value.strip()):
        return int(value)
    raise CellError(f"{text_of(value)!r} is not a whole number")


def _number(value: object) -> float | int:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    try:
        return float(str(value))
    except ValueError:
        raise CellError(f"{text_of(value)!r} is not a number") from None


def _boolean(value: object) -> bool:
    if isinstance(value, bool):
        return value
    text = text_of(value).casefold()
    if text in _TRUE or text in _FALSE:
        return text in _TRUE
    raise CellError(f"{text_of(value)!r} is not yes or no")


def as_list(value: object) -> list[Any]:
    if isinstance(value, list):
        return value
    return [part.strip() for part in re.split(r"[,;]", text_of(value)) if part.strip()]


def _string(value: object) -> object:
    # Anything that is not text (a number or date in a sheet) is written as the partner sees it.
    return value.strip() if isinstance(value, str) else text_of(value)


def unchanged(value: object) -> object:
    return value


_CONVERTERS: dict[Kind, Callable[[Any], Any]] = {
    "integer": _integer,
    "number": _number,
    "boolean": _boolean,
    "array": as_list,
    "string": _string,
}
