"""docs/figures.md names every figure of the sitrep (by its path in the JSON object, as the
exports name them), every headline panel of the dashboards and every alert, with the thresholds
the code colours and alerts by."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any, get_args, get_origin

from pydantic import BaseModel

from dashboards.alerts import RULES
from dashboards.sitrep_sql import HEADLINE, HEADLINES
from services.figures.sitrep import AGEING, STOCK_WINDOW, WINDOW, Sitrep
from tests.support.markdown import DOCS, table_rows

PAGE = DOCS / "figures.md"
HOUR = timedelta(hours=1)


def figure_paths(model: type[BaseModel], prefix: str = "") -> list[str]:
    """`requests.open` for a figure in an object, `stock[].level` for one in each line of a list;
    a list or object of figures is itself a figure (`stock`, `requests` is not: it only groups)."""
    paths = []
    for name, field in model.model_fields.items():
        path = prefix + (field.alias or name)
        annotation: Any = field.annotation
        if get_origin(annotation) is list:
            (line,) = get_args(annotation)
            is_model = isinstance(line, type) and issubclass(line, BaseModel)
            paths += [path, *(figure_paths(line, path + "[].") if is_model else [])]
        elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
            paths += figure_paths(annotation, path + ".")
        else:
            paths.append(path)
    return paths


def documented_figures() -> set[str]:
    return {
        cells[0].strip("`") for cells in table_rows(PAGE.read_text()) if cells[0].startswith("`")
    }


def test_the_paths_are_those_of_the_sitrep() -> None:
    paths = figure_paths(Sitrep)
    assert {"incident", "at", "requests.open", "referrals[].from", "stock[].days_of_cover"} <= set(
        paths
    )
    # 2 + requests 8 + referrals 1+3 + volunteers 5 + stock 1+5 + hubs 1+3 + partners 1+5
    # + areas 1+11
    assert "requests" not in paths and len(paths) == len(set(paths)) == 47


def test_every_figure_of_the_sitrep_has_a_row_and_no_other() -> None:
    assert documented_figures() == set(figure_paths(Sitrep))


def test_every_headline_panel_and_alert_is_named() -> None:
    text = PAGE.read_text()
    for title in [headline.title for headline in HEADLINES] + [rule.title for rule in RULES]:
        assert f"| {title} |" in text, title


def test_the_spans_and_thresholds_are_the_code_s() -> None:
    text = PAGE.read_text()
    flowing = " ".join(text.split())
    assert f"the last {WINDOW // HOUR} hours" in flowing
    assert f"the last {STOCK_WINDOW.days} days" in flowing
    assert f"over {AGEING // HOUR} hours" in flowing
    (low_cover,) = _numbers(HEADLINE["hubs_under_cover"].title)
    assert f"red under {low_cover} days" in flowing
    for rule in RULES:
        row = next(line for line in text.splitlines() if line.startswith(f"| {rule.title} |"))
        assert _numbers(rule.title) <= _numbers(row)
    for headline in HEADLINES:
        row = next(line for line in text.splitlines() if line.startswith(f"| {headline.title} |"))
        steps = [step.value for step in headline.thresholds if step.value is not None]
        assert {int(value) for value in steps} <= _numbers(row), headline.title


def _numbers(text: str) -> set[int]:
    return {int(n) for n in re.findall(r"\d+", text)}
