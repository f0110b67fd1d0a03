"""The six dashboards, and their JSON as Grafana reads it (files in `dashboards/json/`)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.dashboard import Dashboard

from dashboards import exercise, food_hubs, overview, partnership, requests, volunteers

JSON_DIR = Path(__file__).parent / "json"

DASHBOARDS: tuple[Callable[[], Dashboard], ...] = (
    overview.dashboard,
    requests.dashboard,
    volunteers.dashboard,
    food_hubs.dashboard,
    partnership.dashboard,
    exercise.dashboard,
)


def as_json(dashboard: Dashboard) -> dict[str, Any]:
    """The dashboard as plain JSON values, as the files and Grafana's API hold it."""
    result: dict[str, Any] = json.loads(JSONEncoder().encode(dashboard))
    return result


def dashboards_json() -> list[dict[str, Any]]:
    return [as_json(make()) for make in DASHBOARDS]


def file_text(model: dict[str, Any]) -> str:
    return json.dumps(model, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_json(folder: Path | None = None) -> list[Path]:
    """Write `<uid>.json` for every dashboard, remove any other; return the files written."""
    folder = folder or JSON_DIR
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for model in dashboards_json():
        path = folder / f"{model['uid']}.json"
        text = file_text(model)
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
        written.append(path)
    for stale in set(folder.glob("*.json")) - set(written):
        stale.unlink()
    return written
