"""Grafana's provisioning files, written from the same definitions `push` sends.

`infra/grafana/provisioning/` is mounted at `/etc/grafana/provisioning` and `dashboards/json` at
`/var/lib/grafana/dashboards/tandem` (see `infra/compose.yaml`). Grafana replaces `${VAR}` in
these files with its environment, so no secret is written here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from dashboards.alerts import FOLDER, alerting_provisioning
from dashboards.query import DATASOURCE_TYPE, DATASOURCE_UID

ROOT = Path(__file__).resolve().parent.parent
PROVISIONING_DIR = ROOT / "infra" / "grafana" / "provisioning"
DASHBOARDS_MOUNT = "/var/lib/grafana/dashboards/tandem"
DATASOURCE_NAME = "Tandem figures"
FOLDER_UID = "tandem"
HEADER = "# Written by `tandem dashboards build` from dashboards/provisioning.py: edit that.\n"


def datasource(host: str, database: str, user: str, password: str, sslmode: str) -> dict[str, Any]:
    """The PostgreSQL data source every panel names, as Grafana's API and files take it."""
    return {
        "uid": DATASOURCE_UID,
        "name": DATASOURCE_NAME,
        "type": DATASOURCE_TYPE,
        "access": "proxy",
        "url": host,
        "user": user,
        "isDefault": True,
        "jsonData": {
            "database": database,
            "sslmode": sslmode,
            "postgresVersion": 1600,
            "timescaledb": False,
            "maxOpenConns": 10,
        },
        "secureJsonData": {"password": password},
    }


def datasource_provisioning() -> dict[str, Any]:
    from_environment = datasource(
        host="${TANDEM_PG_HOST}",
        database="${TANDEM_PG_DATABASE}",
        user="${TANDEM_PG_USER}",
        password="${TANDEM_PG_PASSWORD}",
        sslmode="${TANDEM_PG_SSLMODE}",
    )
    return {
        "apiVersion": 1,
        "datasources": [{**from_environment, "orgId": 1, "editable": False}],
    }


def dashboard_provisioning() -> dict[str, Any]:
    return {
        "apiVersion": 1,
        "providers": [
            {
                "name": "tandem",
                "orgId": 1,
                "folder": FOLDER,
                "folderUid": FOLDER_UID,
                "type": "file",
                "disableDeletion": True,
                "allowUiUpdates": False,
                "updateIntervalSeconds": 30,
                "options": {"path": DASHBOARDS_MOUNT, "foldersFromFilesStructure": False},
            }
        ],
    }


class _Dumper(yaml.SafeDumper):
    """Multi-line strings (the SQL) as literal blocks, so the files read like the code."""


def _string(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    style = "|" if "\n" in text else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_Dumper.add_representer(str, _string)


def provisioning_files() -> dict[Path, str]:
    """Each provisioning file's path and text."""
    documents = {
        Path("datasources/tandem.yaml"): datasource_provisioning(),
        Path("dashboards/tandem.yaml"): dashboard_provisioning(),
        Path("alerting/tandem.yaml"): alerting_provisioning(),
    }
    return {
        path: HEADER
        + yaml.dump(document, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
        for path, document in documents.items()
    }


def write_provisioning(folder: Path | None = None) -> list[Path]:
    folder = folder or PROVISIONING_DIR
    written = []
    for relative, text in provisioning_files().items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
        written.append(path)
    return written
