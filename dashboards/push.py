"""`tandem dashboards push`: the folder, the data source and the dashboards into a running
Grafana through its HTTP API, each created or updated only when Grafana's copy differs.

Grafana never returns a data source's password, so a changed password alone is not noticed:
delete the data source, or change it in Grafana, to replace it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from grafana_client.api import GrafanaApi
from grafana_client.client import GrafanaClientError

from dashboards.alerts import FOLDER
from dashboards.provisioning import FOLDER_UID

Outcome = Literal["created", "updated", "unchanged"]
# What Grafana adds to a dashboard it stores.
STORED_ONLY = ("id", "version")
MESSAGE = "tandem dashboards push"


@dataclass(frozen=True)
class Change:
    kind: Literal["folder", "datasource", "dashboard"]
    name: str
    outcome: Outcome

    def __str__(self) -> str:
        return f"{self.kind} {self.name}: {self.outcome}"


def _get(call: Any, *args: Any) -> dict[str, Any] | None:
    """Grafana's copy of something, or None when it answers 404."""
    try:
        found: dict[str, Any] = call(*args)
    except GrafanaClientError as exc:
        if exc.status_code == 404:
            return None
        raise
    return found


# grafana-client's element methods are untyped: they are called through `Any`.


def push_folder(api: GrafanaApi, uid: str = FOLDER_UID, title: str = FOLDER) -> Change:
    folders: Any = api.folder
    current = _get(folders.get_folder, uid)
    if current is None:
        folders.create_folder(title, uid=uid)
        return Change("folder", title, "created")
    if current.get("title") == title:
        return Change("folder", title, "unchanged")
    folders.update_folder(uid, title=title, overwrite=True)
    return Change("folder", title, "updated")


def _same_datasource(wanted: dict[str, Any], current: dict[str, Any]) -> bool:
    for key, value in wanted.items():
        if key == "secureJsonData":
            stored = current.get("secureJsonFields") or {}
            if not all(stored.get(field) for field in value):
                return False
        elif key == "jsonData":
            stored = current.get("jsonData") or {}
            if any(stored.get(field) != setting for field, setting in value.items()):
                return False
        elif current.get(key) != value:
            return False
    return True


def push_datasource(api: GrafanaApi, wanted: dict[str, Any]) -> Change:
    datasources: Any = api.datasource
    current = _get(datasources.get_datasource_by_uid, wanted["uid"])
    if current is None:
        datasources.create_datasource(wanted)
        return Change("datasource", wanted["name"], "created")
    if _same_datasource(wanted, current):
        return Change("datasource", wanted["name"], "unchanged")
    datasources.update_datasource_by_uid(wanted["uid"], wanted)
    return Change("datasource", wanted["name"], "updated")


def push_dashboard(api: GrafanaApi, model: dict[str, Any], folder_uid: str = FOLDER_UID) -> Change:
    dashboards: Any = api.dashboard
    current = _get(dashboards.get_dashboard, model["uid"])
    name = f"{model['uid']} ({model['title']})"
    if current is not None:
        stored = {k: v for k, v in current["dashboard"].items() if k not in STORED_ONLY}
        if stored == model and current.get("meta", {}).get("folderUid") == folder_uid:
            return Change("dashboard", name, "unchanged")
    dashboards.update_dashboard(
        {"dashboard": model, "folderUid": folder_uid, "overwrite": True, "message": MESSAGE}
    )
    return Change("dashboard", name, "created" if current is None else "updated")


def push(
    api: GrafanaApi, datasource: dict[str, Any], dashboards: list[dict[str, Any]]
) -> list[Change]:
    """Bring Grafana in line with these definitions; what each step did, in order."""
    changes = [push_folder(api), push_datasource(api, datasource)]
    changes += [push_dashboard(api, model) for model in dashboards]
    return changes
