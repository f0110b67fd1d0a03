"""What changed between two sitreps, figure by figure: the one rule behind an edition's changes,
`tandem sitrep --since`, the late note of an edition and the board's list of what changed.

A figure is named by its path in the sitrep object: `requests.open`, a breakdown's key in
brackets (`requests.open_by_need[food]`), a line of a list by its key (`stock[hub-a/tinned].level`,
`hubs[hub-a].status`, `partners[foodbank].events`, `referrals[council/foodbank].count`,
`areas[riverside].urgent_open`). Only figures that changed are listed: the figures themselves
are beside the changes, so a figure not listed is one that did not change, and a reader looks
first for what did.

A breakdown's missing key is a count of zero (no open request of that need); a list's missing
line is no line at all (a hub not yet reported), so its figures read `null` there and have no
numeric change.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from schemas.thresholds import AGEING, STOCK_WINDOW, URGENT_WAIT, WINDOW, in_days, in_hours
from services.figures.model import Figures
from services.figures.sitrep import Sitrep

Value = int | float | str | None

BREAKDOWNS = ("open_by_need", "open_by_priority", "declined_by_reason")

# Each list of lines and the fields that key a line; its other fields are its figures but for
# an area's name and its list of hubs, which are not counts.
LINE_KEYS = {
    "referrals": ("from", "to"),
    "stock": ("hub_id", "item"),
    "hubs": ("hub_id",),
    "partners": ("partner",),
    "areas": ("area",),
}
NOT_FIGURES = ("name", "hubs")


class Change(Figures):
    now: Value
    then: Value
    change: int | float | None
    """now - then when both are numbers; null for a text figure or a line on one side only."""


def figures(report: Sitrep) -> dict[str, Value]:
    """Every figure of a sitrep, by its path."""
    data = report.model_dump(mode="json", by_alias=True)
    flat: dict[str, Value] = {}
    for section in ("requests", "volunteers"):
        for name, value in data[section].items():
            if name in BREAKDOWNS:
                flat.update({f"{section}.{name}[{key}]": n for key, n in value.items()})
            else:
                flat[f"{section}.{name}"] = value
    for section, keys in LINE_KEYS.items():
        for line in data[section]:
            key = "/".join(str(line[k]) for k in keys)
            flat.update(
                {
                    f"{section}[{key}].{name}": value
                    for name, value in line.items()
                    if name not in keys and name not in NOT_FIGURES
                }
            )
    return flat


def changes(now: Sitrep, then: Sitrep) -> dict[str, Change]:
    """Each figure that differs between `then` and `now`, in the order of the sitrep."""
    after, before = figures(now), figures(then)
    pairs = {
        path: (after.get(path, absent(path)), before.get(path, absent(path)))
        for path in ordered(after, before)
    }
    return {path: change_of(a, b) for path, (a, b) in pairs.items() if a != b}


def absent(path: str) -> Value:
    """A breakdown's missing key counts zero; a missing line has no figures."""
    return 0 if any(f".{name}[" in path for name in BREAKDOWNS) else None


def change_of(now: Value, then: Value) -> Change:
    """Rounded to the hundredth, the finest of the sitrep's figures (the median's hours), so
    that a float's binary noise never shows as a change."""
    if isinstance(now, int | float) and isinstance(then, int | float):
        return Change(now=now, then=then, change=round(now - then, 2))
    return Change(now=now, then=then, change=None)


def ordered(*flats: Mapping[str, Value]) -> list[str]:
    """The paths of both, each once, in the order the first holding it lists it."""
    return list(dict.fromkeys(path for flat in flats for path in flat))


def changes_json(found: Mapping[str, Change]) -> dict[str, dict[str, Any]]:
    return {path: change.model_dump(mode="json") for path, change in found.items()}


def changes_from_json(data: Mapping[str, Any]) -> dict[str, Change]:
    return {path: Change.model_validate(value) for path, value in data.items()}


def largest(found: Mapping[str, Change], count: int) -> list[str]:
    """The paths of the `count` figures that changed most: the headline figures (requests.*,
    volunteers.*) before the breakdowns and lines, each by the size of its change against what
    it was (so 120 → 160 open requests outranks 8,900 → 10,400 volunteer minutes), text
    changes and lines that came or went last."""
    return sorted(found, key=lambda p: ("[" in p, -relative(found[p]), p))[:count]


def relative(change: Change) -> float:
    """The change against what the figure was (against 1 when it was 0); 0 for no number."""
    if change.change is None or not isinstance(change.then, int | float):
        return 0.0
    return abs(change.change) / max(abs(change.then), 1)


def label(path: str) -> str:
    """A figure's path in words: `areas[riverside].urgent_open` → `Area riverside: urgent open
    requests`."""
    head, _, name = path.rpartition(".")
    if name.endswith("]"):  # a breakdown: requests.open_by_need[food]
        breakdown, key = name[:-1].split("[", 1)
        return f"{NAMES[breakdown]}: {words(key)}"
    if head.endswith("]"):  # a line: stock[hub-a/tinned].level
        section, key = head[:-1].split("[", 1)
        return f"{SECTIONS[section]} {key}: {NAMES.get(name, words(name))}"
    return NAMES.get(name, words(name)).capitalize()


LAST_WINDOW = f"in the last {in_hours(WINDOW)} hours"
NAMES = {
    "open": "open requests",
    "raised_total": "requests raised in total",
    "open_over_72h": f"requests open over {in_hours(AGEING)} hours",
    "fulfilled_window": f"requests fulfilled {LAST_WINDOW}",
    "median_hours_to_fulfil": "median hours to fulfil",
    "open_by_need": "Open requests by need",
    "open_by_priority": "Open requests by priority",
    "declined_by_reason": "Declined requests by reason",
    "registered": "volunteers registered",
    "available": "volunteers available",
    "deployed_now": "volunteers deployed now",
    "never_deployed": "volunteers never deployed",
    "minutes_window": f"volunteer minutes {LAST_WINDOW}",
    "urgent_open": "urgent open requests",
    "unmet_urgent_over_4h": f"urgent requests unmet over {in_hours(URGENT_WAIT)} hours",
    "deployments_window": f"deployments {LAST_WINDOW}",
    "distributed_7d": f"distributed in the last {in_days(STOCK_WINDOW)} days",
}
SECTIONS = {
    "referrals": "Referrals",
    "stock": "Stock",
    "hubs": "Hub",
    "partners": "Partner",
    "areas": "Area",
}


def words(code: str) -> str:
    return code.replace("_", " ")


def signed(change: Change) -> str:
    """`+18`, `-3`, or for a text figure or a line on one side, what it was."""
    if change.change is None:
        return "new" if change.then is None else f"was {shown(change.then)}"
    return f"{change.change:+,}"


def shown(value: Value) -> str:
    if value is None:
        return "none"
    if isinstance(value, str):
        return words(value)
    return f"{value:,}"


def sentence(path: str, change: Change, since: str | None = None) -> str:
    """`Open requests 160 (+18 since edition 6, 09:00)`, or without `since`, `(+18)`."""
    after = "" if since is None else f" since {since}"
    return f"{label(path)} {shown(change.now)} ({signed(change)}{after})"


def sentences(found: Mapping[str, Change], since: str) -> list[str]:
    return [sentence(path, change, since) for path, change in found.items()]
