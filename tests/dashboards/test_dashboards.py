"""The dashboards as files: built from the code, valid for the SDK's JSON schemas, and free of
what the lint looks for."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from grafana_foundation_sdk.models.dashboard import Dashboard
from typer.testing import CliRunner

from dashboards.catalogue import JSON_DIR, as_json, dashboards_json, file_text
from dashboards.lint import lint
from dashboards.provisioning import PROVISIONING_DIR, provisioning_files
from dashboards.query import SqlQuery, register
from services.cli.main import app
from tests.support.paths import ROOT

SCHEMAS = ROOT / "dashboards" / "schemas"
MODELS = dashboards_json()
PANELS = [(model["uid"], panel) for model in MODELS for panel in model["panels"]]


def schema(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((SCHEMAS / f"{name}.jsonschema.json").read_text())
    return loaded


def validator(name: str, definition: str | None = None) -> jsonschema.Draft7Validator:
    document = schema(name)
    if definition:
        document = {**document, "$ref": f"#/definitions/{definition}"}
    return jsonschema.Draft7Validator(document)


def errors(found: jsonschema.Draft7Validator, instance: object) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in found.iter_errors(instance)]


def test_the_six_dashboards_of_the_spec_have_stable_uids() -> None:
    assert [model["uid"] for model in MODELS] == [
        "tandem-overview",
        "tandem-requests",
        "tandem-volunteers",
        "tandem-food-hubs",
        "tandem-partnership",
        "tandem-exercise",
    ]


def test_the_checked_in_json_and_provisioning_files_are_what_the_code_builds() -> None:
    for model in MODELS:
        path = JSON_DIR / f"{model['uid']}.json"
        assert path.read_text() == file_text(model), f"{path} is stale: run `make dashboards`"
    assert {p.name for p in JSON_DIR.glob("*.json")} == {f"{m['uid']}.json" for m in MODELS}
    for relative, text in provisioning_files().items():
        path = PROVISIONING_DIR / relative
        assert path.read_text() == text, f"{path} is stale: run `make dashboards`"


def test_build_check_fails_on_a_stale_file_and_build_repairs_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import dashboards.catalogue
    import dashboards.provisioning

    monkeypatch.setattr(dashboards.catalogue, "JSON_DIR", tmp_path / "json")
    monkeypatch.setattr(dashboards.provisioning, "PROVISIONING_DIR", tmp_path / "provisioning")
    runner = CliRunner()
    assert runner.invoke(app, ["dashboards", "build", "--check"]).exit_code == 1
    built = runner.invoke(app, ["dashboards", "build"])
    assert built.exit_code == 0, built.output
    assert "6 dashboards written" in built.output
    assert runner.invoke(app, ["dashboards", "build", "--check"]).exit_code == 0
    (tmp_path / "json" / "tandem-overview.json").write_text("{}\n")
    (tmp_path / "json" / "left-over.json").write_text("{}\n")
    assert runner.invoke(app, ["dashboards", "build", "--check"]).exit_code == 1
    assert runner.invoke(app, ["dashboards", "build"]).exit_code == 0
    assert not (tmp_path / "json" / "left-over.json").exists()


@pytest.mark.parametrize("model", MODELS, ids=[m["uid"] for m in MODELS])
def test_every_dashboard_validates_against_the_sdk_dashboard_schema(model: dict[str, Any]) -> None:
    assert errors(validator("dashboard"), model) == []


@pytest.mark.parametrize("uid,panel", PANELS, ids=[f"{u}:{p['title']}" for u, p in PANELS])
def test_every_panel_validates_against_its_plugin_schema(uid: str, panel: dict[str, Any]) -> None:
    plugin = panel["type"].replace("-", "")
    assert errors(validator(plugin, "Options"), panel["options"]) == []
    if "FieldConfig" in schema(plugin)["definitions"]:
        custom = panel["fieldConfig"]["defaults"].get("custom", {})
        assert errors(validator(plugin, "FieldConfig"), custom) == []


def test_the_schema_catches_what_it_should() -> None:
    broken = copy.deepcopy(MODELS[0])
    broken["panels"][0]["gridPos"]["w"] = "wide"
    del broken["templating"]
    assert len(errors(validator("dashboard"), broken)) == 2


def test_lint_finds_nothing() -> None:
    assert lint(MODELS) == []


def test_lint_finds_duplicate_ids_foreign_data_sources_unknown_variables_and_fast_refresh() -> None:
    broken = copy.deepcopy(MODELS[:2])
    broken[1]["uid"] = broken[0]["uid"]
    first = broken[0]
    first["panels"][1]["id"] = first["panels"][0]["id"]
    first["panels"][2]["targets"].append(dict(first["panels"][2]["targets"][0]))
    first["panels"][3]["targets"][0]["datasource"] = {"type": "prometheus", "uid": "prom"}
    first["panels"][4]["targets"][0]["rawSql"] += " AND partner = '$partner'"
    first["refresh"] = "1s"
    problems = "\n".join(lint(broken))
    assert "dashboard uid 'tandem-overview' used twice" in problems
    assert "panel id 1 used twice" in problems
    assert "refId 'A' twice" in problems
    assert "is not tandem-postgres" in problems
    assert "uses $partner, which is not a variable" in problems
    assert "refresh 1s is under 5s" in problems


def test_every_panel_has_the_run_and_incident_variables_and_a_sensible_refresh() -> None:
    for model in MODELS:
        variables = {v["name"]: v for v in model["templating"]["list"]}
        assert set(variables) == {"run", "incident"}
        assert variables["run"]["current"]["value"] == "live"
        assert model["refresh"] in ("10s", "30s", "1m")
        for panel in model["panels"]:
            for target in panel["targets"]:
                sql = target["rawSql"]
                assert "${incident:sqlstring}" in sql, panel["title"]
                assert "${run:sqlstring}" in sql or "run = 'live'" in sql, panel["title"]


def test_panels_suit_their_figures() -> None:
    kinds = {(m["uid"], p["title"]): p["type"] for m in MODELS for p in m["panels"]}
    assert kinds["tandem-overview", "Open requests"] == "stat"
    assert kinds["tandem-overview", "Requests raised and fulfilled per hour"] == "timeseries"
    assert kinds["tandem-food-hubs", "Days of cover per hub and item"] == "bargauge"
    assert kinds["tandem-requests", "Referral flows between partners"] == "table"
    maps = [(m["uid"], p) for m in MODELS for p in m["panels"] if p["type"] == "geomap"]
    assert [uid for uid, _ in maps] == ["tandem-overview", "tandem-food-hubs"]
    cover = next(
        p for m in MODELS for p in m["panels"] if p["title"] == "Days of cover per hub and item"
    )
    steps = cover["fieldConfig"]["defaults"]["thresholds"]["steps"]
    assert steps[0]["color"] == "red" and steps[1] == {"value": 3, "color": "orange"}


def test_time_series_panels_group_by_time_and_others_read_tables() -> None:
    for _, panel in PANELS:
        for target in panel["targets"]:
            if panel["type"] in ("timeseries", "state-timeline"):
                assert target["format"] == "time_series"
                assert "$__timeGroupAlias(" in target["rawSql"] or "$__time(" in target["rawSql"]
            else:
                assert target["format"] == "table"


def test_every_dashboard_has_the_incident_and_inject_annotations() -> None:
    for model in MODELS:
        incident, injects = model["annotations"]["list"]
        assert "FROM incident_events" in incident["target"]["rawSql"]
        assert "FROM exercise_injects" in injects["target"]["rawSql"]


def test_the_sdk_reads_the_dashboards_back_with_our_query_type() -> None:
    register()
    for model in MODELS:
        again = Dashboard.from_json(model)
        targets = [t for p in again.panels or [] for t in getattr(p, "targets", None) or []]
        assert targets and all(isinstance(t, SqlQuery) for t in targets)
        assert as_json(again) == model


def test_every_sitrep_parameter_has_a_grafana_expression_and_headlines_embed_the_sections() -> None:
    from datetime import UTC, datetime

    from dashboards.sitrep_sql import GRAFANA_PARAMS, HEADLINES, section
    from services.figures.sitrep import SECTIONS, Moment

    sitrep_params = set(Moment.of("live", "x", datetime.now(UTC)).params())
    assert set(GRAFANA_PARAMS) == sitrep_params | {"from"}  # `from`: the range's start
    for headline in HEADLINES:
        assert headline.section in SECTIONS
        embedded = "\n".join(line.strip() for line in headline.sql.splitlines())
        own = "\n".join(line.strip() for line in section(headline.section).splitlines())
        assert own in embedded, headline.key
