"""`tandem dashboards push` against a small stub of Grafana's HTTP API (the endpoints and
payloads grafana-client uses), served for real on 127.0.0.1."""

from __future__ import annotations

from typing import Any

import pytest
from grafana_client import GrafanaApi
from typer.testing import CliRunner

from dashboards.catalogue import dashboards_json
from dashboards.provisioning import datasource
from dashboards.push import push
from services.cli.main import app
from tests.support.grafana_stub import TOKEN, StubGrafana


def wanted_datasource(host: str = "postgres:5432") -> dict[str, Any]:
    return datasource(host, "tandem", "grafana_reader", "secret", "disable")


def outcomes(changes: list[Any]) -> dict[str, str]:
    return {f"{c.kind} {c.name.split(' ')[0]}": c.outcome for c in changes}


def test_a_first_push_creates_everything_and_a_second_changes_nothing(
    grafana: tuple[StubGrafana, str],
) -> None:
    state, url = grafana
    api = GrafanaApi.from_url(url, credential=TOKEN)
    models = dashboards_json()
    first = push(api, wanted_datasource(), models)
    assert set(outcomes(first).values()) == {"created"}
    assert len(first) == 2 + len(models)
    assert state.folders["tandem"]["title"] == "Tandem"
    assert state.datasources["tandem-postgres"]["secureJsonFields"] == {"password": True}
    assert {m["uid"] for m in models} == set(state.dashboards)
    assert all(d["meta"]["folderUid"] == "tandem" for d in state.dashboards.values())

    state.calls.clear()
    second = push(api, wanted_datasource(), models)
    assert set(outcomes(second).values()) == {"unchanged"}
    assert all(call.startswith("GET ") for call in state.calls)


def test_only_what_differs_in_grafana_is_updated(grafana: tuple[StubGrafana, str]) -> None:
    state, url = grafana
    api = GrafanaApi.from_url(url, credential=TOKEN)
    models = dashboards_json()
    push(api, wanted_datasource(), models)
    state.dashboards["tandem-requests"]["dashboard"]["title"] = "Edited in the UI"
    state.folders["tandem"]["title"] = "Renamed"
    changes = outcomes(push(api, wanted_datasource("db.internal:5432"), models))
    assert changes.pop("folder Tandem") == "updated"
    assert changes.pop("datasource Tandem") == "updated"
    assert changes.pop("dashboard tandem-requests") == "updated"
    assert set(changes.values()) == {"unchanged"}
    assert state.dashboards["tandem-requests"]["dashboard"]["version"] == 2
    assert state.datasources["tandem-postgres"]["url"] == "db.internal:5432"


def test_the_command_reports_each_object_and_refuses_a_wrong_token(
    grafana: tuple[StubGrafana, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, url = grafana
    monkeypatch.setenv("GRAFANA_URL", url)
    monkeypatch.setenv("GRAFANA_TOKEN", TOKEN)
    for name in ("TANDEM_PG_HOST", "TANDEM_PG_USER", "TANDEM_PG_DATABASE", "TANDEM_PG_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", "postgresql://tandem:pw@db.example:5433/figures")
    runner = CliRunner()
    first = runner.invoke(app, ["dashboards", "push"])
    assert first.exit_code == 0, first.output
    assert "folder Tandem: created" in first.output
    assert "datasource Tandem figures: created" in first.output
    assert "dashboard tandem-overview (Tandem · Situation overview): created" in first.output
    second = runner.invoke(app, ["dashboards", "push", "--url", url, "--token", TOKEN])
    assert second.exit_code == 0, second.output
    lines = second.output.strip().splitlines()
    assert len(lines) == 8 and all(line.endswith(": unchanged") for line in lines)
    refused = runner.invoke(app, ["dashboards", "push", "--token", "wrong"])
    assert refused.exit_code == 1
    assert "could not push" in refused.output


def test_the_data_source_comes_from_the_database_url_unless_given(
    grafana: tuple[StubGrafana, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    state, url = grafana
    monkeypatch.setenv("DATABASE_URL", "postgresql://tandem:pw@db.example:5433/figures")
    for name in ("TANDEM_PG_HOST", "TANDEM_PG_USER", "TANDEM_PG_DATABASE", "TANDEM_PG_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    runner = CliRunner()
    result = runner.invoke(app, ["dashboards", "push", "--url", url, "--token", TOKEN])
    assert result.exit_code == 0, result.output
    stored = state.datasources["tandem-postgres"]
    assert (stored["url"], stored["user"], stored["jsonData"]["database"]) == (
        "db.example:5433",
        "tandem",
        "figures",
    )
    monkeypatch.setenv("TANDEM_PG_HOST", "reader.example:5432")
    monkeypatch.setenv("TANDEM_PG_USER", "grafana_reader")
    runner.invoke(app, ["dashboards", "push", "--url", url, "--token", TOKEN])
    assert state.datasources["tandem-postgres"]["url"] == "reader.example:5432"
    assert state.datasources["tandem-postgres"]["user"] == "grafana_reader"
