"""The thresholds are named once (schemas/thresholds.py) and every reader shows the same value:
the dashboards' SQL, colours, titles and descriptions, and the alert rules."""

from __future__ import annotations

import re
from typing import Any

from dashboards.alerts import RULES, hub_cover_sql, urgent_open_sql
from dashboards.catalogue import dashboards_json
from schemas.thresholds import (
    AGEING,
    AGEING_EARLY,
    BEHIND_SECONDS,
    CRITICAL_COVER_DAYS,
    LOW_COVER_DAYS,
    SHORT_COVER_DAYS,
    SILENT,
    STOCK_WINDOW,
    URGENT_WAIT,
    WINDOW,
    in_days,
    in_hours,
)

COVER_TEXT = re.compile(r"(\d+) days of cover|[Rr]ed under (\d+) days")
HOURS_TEXT = re.compile(r"(?:over|last|[Oo]pen over) (\d+) hours")
DAYS_TEXT = re.compile(r"last (\d+) days|in the (\d+) days|(\d+) days up to")


def texts() -> list[str]:
    """Every dashboard's and panel's title and description."""
    found = []
    for model in dashboards_json():
        found += [model.get("title", ""), model.get("description", "")]
        for panel in model["panels"]:
            found += [panel.get("title", ""), panel.get("description", "")]
    return [text for text in found if text]


def numbers(pattern: re.Pattern[str]) -> set[int]:
    return {int(n) for text in texts() for m in pattern.finditer(text) for n in m.groups() if n}


def test_the_thresholds_are_the_specified_values() -> None:
    # figures.md: window 24 h, distributed over 7 days, open over 72 h, open over 24h / 72h,
    # unmet urgent over 4 h, hubs under 3 days of cover.
    assert (in_hours(WINDOW), in_days(STOCK_WINDOW)) == (24, 7)
    assert (in_hours(AGEING_EARLY), in_hours(AGEING), in_hours(URGENT_WAIT)) == (24, 72, 4)
    assert LOW_COVER_DAYS == 3
    assert CRITICAL_COVER_DAYS < LOW_COVER_DAYS < SHORT_COVER_DAYS


def test_panel_text_names_the_thresholds_the_panels_use() -> None:
    # The maps colour hubs critical (under 2 days) and low (under 3).
    assert numbers(COVER_TEXT) == {CRITICAL_COVER_DAYS, LOW_COVER_DAYS}
    assert numbers(HOURS_TEXT) == {in_hours(WINDOW), in_hours(AGEING), in_hours(AGEING_EARLY)}
    assert numbers(DAYS_TEXT) == {in_days(STOCK_WINDOW)}


def panel(title: str) -> dict[str, Any]:
    for model in dashboards_json():
        for found in model["panels"]:
            if found.get("title") == title:
                return dict(found)
    raise AssertionError(f"no panel {title!r}")


def test_the_food_hubs_colours_and_sql_use_low_cover() -> None:
    gauge = panel("Days of cover per hub and item")
    steps = [s["value"] for s in gauge["fieldConfig"]["defaults"]["thresholds"]["steps"]]
    assert steps == [None, LOW_COVER_DAYS, SHORT_COVER_DAYS]
    table = panel(f"Under {LOW_COVER_DAYS} days of cover")
    assert f"WHERE days_of_cover < {LOW_COVER_DAYS}\n" in table["targets"][0]["rawSql"]


def test_the_alerts_use_their_named_thresholds() -> None:
    rules = {rule.sql: rule for rule in RULES}
    cover = rules[hub_cover_sql]
    assert cover.threshold == CRITICAL_COVER_DAYS
    assert f"under {CRITICAL_COVER_DAYS} days" in cover.title
    urgent = rules[urgent_open_sql]
    assert f"interval '{in_hours(URGENT_WAIT)} hours'" in urgent.sql("now()")
    assert f"over {in_hours(URGENT_WAIT)} hours" in urgent.title
    silent = next(r for r in RULES if r.uid.startswith("tandem-partner-silent"))
    assert silent.threshold == SILENT.total_seconds() / 60
    behind = next(r for r in RULES if r.uid == "tandem-figures-behind")
    assert behind.threshold == BEHIND_SECONDS
