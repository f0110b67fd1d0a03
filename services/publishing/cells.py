"""Turning one cell of a partner's file into a contract value: text into whole numbers,
booleans, lists and times, codes into ids. A cell that cannot be turned raises `CellError`
with the reason in the partner's terms; an empty cell is None (the value is left out)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, tzinfo
from functools import cache, lru_cache, partial
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
    if value.__class__ is str:  # nearly always: every cell of a CSV file
        return value.strip()  # type: ignore[attr-defined]
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).strip()


@lru_cache(maxsize=4096)
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
        return partial(as_time, parse=time_parser(time_format), zone=zone)
    return _CONVERTERS.get(kind, unchanged)


def as_time(value: object, parse: Callable[[str], datetime], zone: tzinfo | None) -> str:
    """An RFC 3339 time from a sheet's date or time, or from text read by `parse`; in the time
    zone `zone` when the file says none."""
    moment: datetime
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    else:
        moment = parse(text_of(value))
    if moment.tzinfo is None:
        if zone is None:
            raise CellError(f"{text_of(value)!r} has no UTC offset (a mapping can give a timezone)")
        moment = moment.replace(tzinfo=zone)
    return moment.isoformat()


def time_parser(time_format: str | None) -> Callable[[str], datetime]:
    """Reads text in the strptime `time_format`, or in ISO 8601 without one.

    A format made only of %d %m %Y %H %M %S is compiled to one regular expression, as
    strptime is the slowest step of reading a large export; any other goes to strptime."""
    like = f"in the format {time_format}" if time_format else "in ISO 8601"
    pattern = _numeric_format(time_format) if time_format else None

    def parse(text: str) -> datetime:
        try:
            if pattern is None:
                if time_format:
                    return datetime.strptime(text, time_format)
                return datetime.fromisoformat(text)
            found = pattern.fullmatch(text)
            if found:
                n = {name: int(number) for name, number in found.groupdict().items()}
                return datetime(
                    n["year"],
                    n["month"],
                    n["day"],
                    n.get("hour", 0),
                    n.get("minute", 0),
                    n.get("second", 0),
                )
        except ValueError:
            pass
        raise CellError(f"{text!r} is not a time {like}")

    return parse


_NUMERIC_DIRECTIVES = {
    "d": r"(?P<day>\d{1,2})",
    "m": r"(?P<month>\d{1,2})",
    "Y": r"(?P<year>\d{4})",
    "H": r"(?P<hour>\d{1,2})",
    "M": r"(?P<minute>\d{1,2})",
    "S": r"(?P<second>\d{1,2})",
}


def _numeric_format(time_format: str) -> re.Pattern[str] | None:
    pattern = []
    for part in re.split(r"(%.)", time_format):
        if part.startswith("%") and len(part) == 2:
            if part[1] not in _NUMERIC_DIRECTIVES or _NUMERIC_DIRECTIVES[part[1]] in pattern:
                return None
            pattern.append(_NUMERIC_DIRECTIVES[part[1]])
        else:
            # strptime takes any run of white space for a space in the format
            chunks = re.split(r"(\s+)", part)
            pattern.extend(r"\s+" if c.isspace() else re.escape(c) for c in chunks if c)
    found = "".join(pattern)
    return re.compile(found) if all(d in found for d in ("day", "month", "year")) else None


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
