"""What changed between two sitrep objects (as JSON), written from the contract of `changes` in
docs/figures.md alone: each figure by its path, a breakdown's missing key a zero, a list's
missing line null; only figures that differ; a change only between two numbers."""

from __future__ import annotations

from typing import Any

BREAKDOWNS = {"open_by_need", "open_by_priority", "declined_by_reason"}
LINE_KEYS = {
    "referrals": ("from", "to"),
    "stock": ("hub_id", "item"),
    "hubs": ("hub_id",),
    "partners": ("partner",),
    "areas": ("area",),
}
NOT_FIGURES = {"name", "hubs"}  # an area's name and its list of hubs


def flat(report: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for section in ("requests", "volunteers"):
        for name, value in report[section].items():
            if name in BREAKDOWNS:
                for key, count in value.items():
                    out[f"{section}.{name}[{key}]"] = count
            else:
                out[f"{section}.{name}"] = value
    for section, keys in LINE_KEYS.items():
        for line in report[section]:
            key = "/".join(line[k] for k in keys)
            for name, value in line.items():
                if name not in keys and name not in NOT_FIGURES:
                    out[f"{section}[{key}].{name}"] = value
    return out


def reference_changes(now: dict[str, Any], then: dict[str, Any]) -> dict[str, Any]:
    after, before = flat(now), flat(then)
    found = {}
    for path in after.keys() | before.keys():
        missing = 0 if "[" in path.split(".")[-1] else None
        a, b = after.get(path, missing), before.get(path, missing)
        if a == b:
            continue
        numbers = isinstance(a, int | float) and isinstance(b, int | float)
        found[path] = {"now": a, "then": b, "change": round(a - b, 2) if numbers else None}
    return found
