"""Checks Grafana cannot make for us before a reader opens a dashboard: unique uids, panel ids
and refIds, queries that point at our data source, variables that exist, sensible refresh."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any

from dashboards.macros import variables_used
from dashboards.query import DATASOURCE_TYPE, DATASOURCE_UID

MIN_REFRESH_SECONDS = 5
REFRESH = re.compile(r"(\d+)(s|m|h|d)")
SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
REQUIRED_VARIABLES = {"run", "incident"}


def queries(model: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every SQL query of a dashboard, with where it is: panels, variables, annotations."""
    for panel in model.get("panels", []):
        for target in panel.get("targets", []):
            yield f"panel {panel.get('id')} {panel.get('title')!r}", target
    for variable in model.get("templating", {}).get("list", []):
        yield (
            f"variable {variable['name']}",
            {
                "rawSql": variable.get("query", ""),
                "datasource": variable.get("datasource"),
                "refId": variable["name"],
            },
        )
    for annotation in model.get("annotations", {}).get("list", []):
        if "target" in annotation:
            yield f"annotation {annotation['name']!r}", annotation["target"]


def _duplicates(values: Iterable[object]) -> list[object]:
    return [value for value, count in Counter(values).items() if count > 1]


def lint(models: list[dict[str, Any]]) -> list[str]:
    """Problems found in these dashboards, one line each; empty when there are none."""
    problems = [
        f"dashboard uid {uid!r} used twice" for uid in _duplicates(m["uid"] for m in models)
    ]
    for model in models:
        problems += [f"{model['uid']}: {problem}" for problem in lint_one(model)]
    return problems


def lint_one(model: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    uid = model.get("uid", "")
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,40}", uid):
        problems.append(f"uid {uid!r} is not 1-40 letters, digits, - or _")
    panels = model.get("panels", [])
    problems += [f"panel id {i} used twice" for i in _duplicates(p.get("id") for p in panels)]
    problems += [f"panel {p.get('title')!r} has no id" for p in panels if p.get("id") is None]
    for panel in panels:
        ref_ids = [target.get("refId") for target in panel.get("targets", [])]
        problems += [
            f"panel {panel.get('title')!r}: refId {r!r} twice" for r in _duplicates(ref_ids)
        ]
        if not ref_ids:
            problems.append(f"panel {panel.get('title')!r} has no query")
    defined = {v["name"] for v in model.get("templating", {}).get("list", [])}
    problems += [f"variable {name!r} missing" for name in sorted(REQUIRED_VARIABLES - defined)]
    for where, target in queries(model):
        datasource = target.get("datasource") or {}
        if datasource.get("uid") != DATASOURCE_UID or datasource.get("type") != DATASOURCE_TYPE:
            problems.append(f"{where}: data source {datasource!r} is not {DATASOURCE_UID}")
        if not target.get("refId"):
            problems.append(f"{where}: no refId")
        sql = target.get("rawSql", "")
        if not sql.strip():
            problems.append(f"{where}: no SQL")
        for name in sorted(variables_used(sql) - defined):
            problems.append(f"{where}: uses ${name}, which is not a variable of the dashboard")
    refresh = REFRESH.fullmatch(model.get("refresh") or "")
    if not refresh:
        problems.append(f"refresh {model.get('refresh')!r} is not an interval")
    elif int(refresh.group(1)) * SECONDS[refresh.group(2)] < MIN_REFRESH_SECONDS:
        problems.append(f"refresh {model['refresh']} is under {MIN_REFRESH_SECONDS}s")
    return problems
