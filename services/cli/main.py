"""The `tandem` command line. Exit 0 on success; otherwise one line on stderr and non-zero."""

from __future__ import annotations

import re
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import orjson
import typer

from services.settings import Settings

app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
partner_app = typer.Typer(no_args_is_help=True, help="Partner organisations and their tokens.")
app.add_typer(partner_app, name="partner")
dashboards_app = typer.Typer(no_args_is_help=True, help="Grafana dashboards as code.")
app.add_typer(dashboards_app, name="dashboards")


def fail(message: str) -> typer.Exit:
    typer.echo(f"tandem: {message}", err=True)
    return typer.Exit(1)


class ReportFormat(StrEnum):
    json = "json"
    md = "md"


def settings_for(data_dir: Path | None = None) -> Settings:
    return Settings(data_dir=data_dir) if data_dir else Settings()


@app.command()
def up(
    no_demo: Annotated[bool, typer.Option("--no-demo", help="Do not stream the demo.")] = False,
    data_dir: Annotated[Path | None, typer.Option(help="Where data is kept.")] = None,
    port: Annotated[int, typer.Option(help="The gateway's port.")] = 8080,
    demo_speed: Annotated[
        float, typer.Option(help="Scenario seconds per wall-clock second for the demo.")
    ] = 3600.0,
) -> None:
    """Start the whole platform (what `make run` runs) until Ctrl-C."""
    from infra.stack import StackOptions, run
    from services import logs

    settings = settings_for(data_dir)
    logs.configure("tandem-up", settings.log_level)
    options = StackOptions(settings.data_dir, port, not no_demo, demo_speed)
    try:
        run(options, settings, typer.echo)
    except (RuntimeError, TimeoutError, OSError) as exc:
        raise fail(f"could not start: {exc}") from None


@partner_app.command("add")
def partner_add(
    partner_id: Annotated[str, typer.Argument(metavar="ID", help="e.g. kingston-foodbank")],
    name: Annotated[str, typer.Option(help="The organisation's name.")],
) -> None:
    """Register a partner; print its token once, alone on the last line."""
    from schemas.ids import ID_PATTERN
    from services.database import connect
    from services.partners import Partner, PartnerExists, add_partner

    if not re.fullmatch(ID_PATTERN, partner_id):
        raise fail(f"partner id {partner_id!r} must match {ID_PATTERN}")
    settings = settings_for()
    try:
        with connect(settings) as conn:
            token = add_partner(conn, Partner(partner_id, name))
    except (PartnerExists, RuntimeError) as exc:
        raise fail(str(exc)) from None
    typer.echo(f"partner {partner_id} added. Its token is shown once; keep it secret:")
    typer.echo(token)


@app.command()
def simulate(
    scenario: Annotated[str, typer.Option(help="Scenario name, e.g. kingston-2020.")],
    seed: Annotated[int, typer.Option(help="Random seed: the same seed, the same events.")] = 2020,
    out: Annotated[Path | None, typer.Option(help="NDJSON file (default: stdout).")] = None,
) -> None:
    """Generate a synthetic incident (the demo data) as NDJSON CloudEvents."""
    from services.simulate import UnknownScenarioError, build

    try:
        generated = build(scenario, seed)
    except UnknownScenarioError as exc:
        raise fail(str(exc)) from None
    lines = b"".join(orjson.dumps(event) + b"\n" for event in generated.events)
    if out is None:
        sys.stdout.buffer.write(lines)
    else:
        out.write_bytes(lines)
        typer.echo(f"{len(generated.events)} events of {generated.incident} written to {out}")


@app.command()
def sitrep(
    incident: Annotated[str, typer.Option(help="The incident's id, e.g. covid-2020.")],
    at: Annotated[
        str | None, typer.Option(help="RFC 3339 time, e.g. 2020-04-01T12:00:00Z (default: now).")
    ] = None,
    run: Annotated[str, typer.Option(help="live, or an exercise run id.")] = "live",
    report_format: Annotated[
        ReportFormat, typer.Option("--format", help="json (figures.md) or md (one page).")
    ] = ReportFormat.json,
) -> None:
    """The situation report of an incident at a time, from the live figures."""
    from datetime import UTC, datetime

    import psycopg

    from services.database import connect
    from services.figures.sitrep import parse_at
    from services.figures.sitrep import sitrep as situation_report
    from services.figures.sitrep_markdown import render_markdown

    try:
        when = datetime.now(UTC) if at is None else parse_at(at)
    except ValueError as exc:
        raise fail(str(exc)) from None
    try:
        with connect(settings_for()) as conn:
            report = situation_report(conn, incident, when, run)
    except (RuntimeError, psycopg.Error) as exc:
        reason = str(exc).strip().partition("\n")[0] or type(exc).__name__
        raise fail(f"could not read the figures: {reason}") from None
    if report_format is ReportFormat.md:
        typer.echo(render_markdown(report), nl=False)
    else:
        typer.echo(report.model_dump_json())


@dashboards_app.command("build")
def dashboards_build(
    check: Annotated[
        bool, typer.Option("--check", help="Only check the files are up to date; write nothing.")
    ] = False,
) -> None:
    """Write dashboards/json/<uid>.json and the Grafana provisioning files from the code."""
    from dashboards import catalogue, provisioning
    from dashboards.lint import lint

    models = catalogue.dashboards_json()
    problems = lint(models)
    if problems:
        raise fail("dashboards have problems:\n  " + "\n  ".join(problems))
    if check:
        json_dir, provisioning_dir = catalogue.JSON_DIR, provisioning.PROVISIONING_DIR
        wanted = {json_dir / f"{m['uid']}.json": catalogue.file_text(m) for m in models}
        wanted |= {
            provisioning_dir / p: text for p, text in provisioning.provisioning_files().items()
        }
        stale = [str(p) for p, text in wanted.items() if not p.exists() or p.read_text() != text]
        stale += sorted(str(p) for p in set(json_dir.glob("*.json")) - set(wanted))
        if stale:
            raise fail("stale, run `tandem dashboards build`: " + ", ".join(stale))
        typer.echo("dashboards and provisioning files are up to date")
        return
    written = catalogue.write_json()
    provisioned = provisioning.write_provisioning()
    typer.echo(f"{len(written)} dashboards written to {catalogue.JSON_DIR}")
    typer.echo(f"{len(provisioned)} provisioning files written to {provisioning.PROVISIONING_DIR}")


@dashboards_app.command("push")
def dashboards_push(
    url: Annotated[str | None, typer.Option(help="Grafana's URL (default: GRAFANA_URL).")] = None,
    token: Annotated[
        str | None, typer.Option(help="A service account token (default: GRAFANA_TOKEN).")
    ] = None,
    pg_host: Annotated[
        str | None,
        typer.Option(
            envvar="TANDEM_PG_HOST",
            help="host:port of PostgreSQL as Grafana reaches it (default: from DATABASE_URL).",
        ),
    ] = None,
    pg_database: Annotated[str | None, typer.Option(envvar="TANDEM_PG_DATABASE")] = None,
    pg_user: Annotated[str | None, typer.Option(envvar="TANDEM_PG_USER")] = None,
    pg_password: Annotated[str | None, typer.Option(envvar="TANDEM_PG_PASSWORD")] = None,
    pg_sslmode: Annotated[str, typer.Option(envvar="TANDEM_PG_SSLMODE")] = "disable",
) -> None:
    """Create or update the folder, data source and dashboards in Grafana; say what changed."""
    from grafana_client.api import GrafanaApi
    from grafana_client.client import GrafanaException
    from psycopg.conninfo import conninfo_to_dict

    from dashboards.catalogue import dashboards_json
    from dashboards.provisioning import datasource
    from dashboards.push import push

    settings = settings_for()
    url = url or settings.grafana_url
    token = token or settings.grafana_token
    if not url or not token:
        raise fail("no Grafana: give --url and --token, or set GRAFANA_URL and GRAFANA_TOKEN")
    known = {str(k): str(v) for k, v in conninfo_to_dict(settings.database_url or "").items()}
    host = pg_host or (
        f"{known['host']}:{known.get('port', '5432')}" if known.get("host") else None
    )
    if not host or host.startswith("/"):
        raise fail("no PostgreSQL address for Grafana: give --pg-host (or TANDEM_PG_HOST)")
    wanted = datasource(
        host=host,
        database=pg_database or known.get("dbname", "tandem"),
        user=pg_user or known.get("user", "tandem"),
        password=pg_password or known.get("password", ""),
        sslmode=pg_sslmode,
    )
    try:
        changes = push(GrafanaApi.from_url(url, credential=token), wanted, dashboards_json())
    except (GrafanaException, OSError) as exc:
        raise fail(f"could not push to {url}: {exc}") from None
    for change in changes:
        typer.echo(str(change))
