"""Grafana's provisioning files: the data source from the environment, the dashboards folder
provider, and the alert rules in Grafana's file format."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
import yaml

from dashboards.alerts import RULES
from dashboards.provisioning import DASHBOARDS_MOUNT, PROVISIONING_DIR
from dashboards.query import DATASOURCE_TYPE, DATASOURCE_UID


def load(relative: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((PROVISIONING_DIR / relative).read_text())
    return loaded


def test_the_data_source_is_postgresql_with_credentials_from_the_environment() -> None:
    document = load("datasources/tandem.yaml")
    assert document["apiVersion"] == 1
    (source,) = document["datasources"]
    assert (source["type"], source["uid"]) == (DATASOURCE_TYPE, DATASOURCE_UID)
    assert source["url"] == "${TANDEM_PG_HOST}"
    assert source["user"] == "${TANDEM_PG_USER}"
    assert source["jsonData"]["database"] == "${TANDEM_PG_DATABASE}"
    assert source["secureJsonData"] == {"password": "${TANDEM_PG_PASSWORD}"}


def test_the_dashboards_provider_reads_the_mounted_json() -> None:
    (provider,) = load("dashboards/tandem.yaml")["providers"]
    assert provider["type"] == "file"
    assert provider["options"]["path"] == DASHBOARDS_MOUNT
    assert provider["folder"] == "Tandem"


def test_the_alert_rules_are_in_grafanas_file_format() -> None:
    document = load("alerting/tandem.yaml")
    assert document["apiVersion"] == 1
    (group,) = document["groups"]
    assert {"orgId", "name", "folder", "interval", "rules"} <= set(group)
    titles = [rule["title"] for rule in group["rules"]]
    assert titles == [alert.title for alert in RULES]
    for rule, alert in zip(group["rules"], RULES, strict=True):
        assert {"uid", "title", "condition", "data", "noDataState", "execErrState", "for"} <= set(
            rule
        )
        refs = {query["refId"]: query for query in rule["data"]}
        assert rule["condition"] in refs
        assert refs["A"]["datasourceUid"] == DATASOURCE_UID
        assert refs["A"]["model"]["rawSql"].startswith("WITH active AS") == alert.per_incident
        assert "$" not in refs["A"]["model"]["rawSql"]  # nothing for Grafana to interpolate
        for ref in ("B", "C"):
            assert refs[ref]["datasourceUid"] == "__expr__"
            assert refs[ref]["model"]["expression"] in refs
    by_title = {rule["title"]: rule for rule in group["rules"]}
    threshold = by_title["Hub under 2 days of cover"]["data"][2]["model"]["conditions"][0]
    assert threshold["evaluator"] == {"type": "lt", "params": [2]}
    silent = by_title["No events from a partner for 2 hours"]["data"][2]["model"]["conditions"]
    assert silent[0]["evaluator"] == {"type": "gt", "params": [120]}


def test_the_postgres_init_script_is_executable() -> None:
    script = Path(PROVISIONING_DIR.parent / "postgres-init" / "10-grafana-reader.sh")
    assert script.stat().st_mode & 0o111
    assert "IN ROLE tandem_figures_reader" in script.read_text()


def test_grafanas_role_reads_figures_and_nothing_that_holds_people(database_url: str) -> None:
    with psycopg.connect(database_url) as conn:

        def can_read(table: str) -> bool:
            row = conn.execute(
                "SELECT has_table_privilege('tandem_figures_reader', %s, 'SELECT')", (table,)
            ).fetchone()
            return bool(row and row[0])

        for figures in (
            "request_timeline",
            "hourly_figures",
            "stock_events",
            "exercise_injects",
            "sharing_agreements",
        ):
            assert can_read(figures), figures
        for private in (
            "events",
            "archive",
            "dead_letters",
            "inbox",
            "sharing_request_events",
            "sharing_audit",
            "partner_tokens",
            "sharing_private.sharing_secret",
        ):
            assert not can_read(private), private
