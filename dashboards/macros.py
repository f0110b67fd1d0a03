"""What Grafana does to a panel's SQL before PostgreSQL sees it, for tests and previews.

Template variables first (`$name`, `${name}`, `${name:sqlstring}`, `[[name]]`), as the browser
does; then the PostgreSQL data source's macros, with the same regular expression and the same
output as Grafana's `macros.go`, for a fixed time range.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

MACRO = re.compile(r"\$([_a-zA-Z0-9]+)\(([^)]*)\)")
VARIABLE = re.compile(r"\$\{(\w+)(?::(\w+))?\}|\[\[(\w+)\]\]|\$(\w+)")
UNITS = {
    "ms": timedelta(milliseconds=1),
    "s": timedelta(seconds=1),
    "m": timedelta(minutes=1),
    "h": timedelta(hours=1),
    "d": timedelta(days=1),
    "w": timedelta(weeks=1),
}
INTERVAL = re.compile(r"(\d+)(ms|s|m|h|d|w)")


class MacroError(ValueError):
    pass


def rfc3339(at: datetime) -> str:
    """Go's RFC3339Nano in UTC: `Z`, and fractional seconds without trailing zeros."""
    at = at.astimezone(UTC)
    fraction = f".{at.microsecond:06d}".rstrip("0") if at.microsecond else ""
    return at.strftime("%Y-%m-%dT%H:%M:%S") + fraction + "Z"


def interval_seconds(text: str) -> int | float:
    match = INTERVAL.fullmatch(text.strip("'"))
    if not match:
        raise MacroError(f"cannot parse interval {text!r}")
    seconds = (int(match.group(1)) * UNITS[match.group(2)]).total_seconds()
    return int(seconds) if seconds.is_integer() else seconds


def sqlstring(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def variables_used(sql: str) -> set[str]:
    """Names of the template variables `sql` refers to (not the `$__` macros)."""
    names = set()
    for match in VARIABLE.finditer(sql):
        name = match.group(1) or match.group(3) or match.group(4)
        if not name.startswith("__"):
            names.add(name)
    return names


def interpolate(sql: str, variables: Mapping[str, str]) -> str:
    """Template variables replaced by their values; `$__` names are left to the macros."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(3) or match.group(4)
        if name.startswith("__"):
            return match.group(0)
        if name not in variables:
            raise MacroError(f"no value for variable {name!r}")
        if match.group(2) == "sqlstring":
            return sqlstring(variables[name])
        if match.group(2) not in (None, "raw"):
            raise MacroError(f"format {match.group(2)!r} of {name!r} is not supported")
        return variables[name]

    return VARIABLE.sub(value, sql)


def expand_macros(sql: str, start: datetime, end: datetime) -> str:
    """Grafana's PostgreSQL macros for the range `start`..`end`."""

    def macro(match: re.Match[str]) -> str:
        name = match.group(1)
        args = [arg.strip() for arg in match.group(2).split(",")]
        if name == "__time":
            return f'{args[0]} AS "time"'
        if name == "__timeFilter":
            return f"{args[0]} BETWEEN '{rfc3339(start)}' AND '{rfc3339(end)}'"
        if name == "__timeFrom":
            return f"'{rfc3339(start)}'"
        if name == "__timeTo":
            return f"'{rfc3339(end)}'"
        if name in ("__timeGroup", "__timeGroupAlias"):
            if len(args) < 2:
                raise MacroError(f"${name} needs a column and an interval")
            seconds = interval_seconds(args[1])
            group = f"floor(extract(epoch from {args[0]})/{seconds})*{seconds}"
            return group + (' AS "time"' if name == "__timeGroupAlias" else "")
        if name == "__unixEpochFilter":
            first, last = int(start.timestamp()), int(end.timestamp())
            return f"{args[0]} >= {first} AND {args[0]} <= {last}"
        raise MacroError(f"unknown macro ${name}")

    return MACRO.sub(macro, sql)


def expand(sql: str, start: datetime, end: datetime, variables: Mapping[str, str]) -> str:
    """The SQL PostgreSQL receives for this panel, range and variable values."""
    return expand_macros(interpolate(sql, variables), start, end)
