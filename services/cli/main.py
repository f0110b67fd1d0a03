"""The `tandem` command line. Exit 0 on success; otherwise one line on stderr and non-zero."""

from __future__ import annotations

import re
import sys
from datetime import UTC, date, datetime
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


agreement_app = typer.Typer(no_args_is_help=True, help="Data-sharing agreements between partners.")
app.add_typer(agreement_app, name="agreement")


class ListFormat(StrEnum):
    text = "text"
    json = "json"


def comma_list(value: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(part.strip() for part in value.split(",") if part.strip()))


def day(option: str, value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise fail(f"{option} must be a date like 2020-06-30, not {value!r}") from None


def database_failure(exc: Exception) -> typer.Exit:
    reason = str(exc).strip().partition("\n")[0] or type(exc).__name__
    return fail(f"database: {reason}")


@agreement_app.command("add")
def agreement_add(
    from_partner: Annotated[str, typer.Option("--from", help="The partner providing the data.")],
    to_partner: Annotated[str, typer.Option("--to", help="The partner receiving it.")],
    types: Annotated[
        str, typer.Option(help="Event types, comma-separated, e.g. resilience.request.raised.v1.")
    ],
    fields: Annotated[
        str, typer.Option(help="The data fields shared, comma-separated, e.g. request_id,need.")
    ],
    purpose: Annotated[str, typer.Option(help="Why the data is shared, in one line.")],
    review_by: Annotated[str, typer.Option(help="When to review it, e.g. 2020-06-30.")],
    pseudonymise: Annotated[
        bool, typer.Option("--pseudonymise", help="Share person_ref, as a per-recipient pseudonym.")
    ] = False,
    starts: Annotated[
        str | None, typer.Option(help="First day in force, e.g. 2020-03-23 (default: today).")
    ] = None,
) -> None:
    """Make a data-sharing agreement; print its id alone on the last line."""
    import psycopg

    from services.database import connect
    from services.sharing.agreements import UK, Terms
    from services.sharing.store import AgreementError, add_agreement

    terms = Terms(
        from_partner=from_partner,
        to_partner=to_partner,
        types=comma_list(types),
        fields=comma_list(fields),
        purpose=purpose.strip(),
        pseudonymise=pseudonymise,
        starts=datetime.now(UK).date() if starts is None else day("--starts", starts),
        review_by=day("--review-by", review_by),
    )
    try:
        with connect(settings_for()) as conn:
            agreement = add_agreement(conn, terms)
    except AgreementError as exc:
        raise fail(str(exc)) from None
    except (RuntimeError, psycopg.Error) as exc:
        raise database_failure(exc) from None
    person_ref = ", person_ref pseudonymised" if terms.pseudonymise else ""
    typer.echo(
        f"agreement {agreement.id} added: {from_partner} shares {', '.join(terms.types)} "
        f"({', '.join(terms.fields) or 'no data fields'}{person_ref}) with {to_partner}, "
        f"from {terms.starts}, review by {terms.review_by}"
    )
    typer.echo(agreement.id)


@agreement_app.command("list")
def agreement_list(
    list_format: Annotated[ListFormat, typer.Option("--format", help="text or json.")] = (
        ListFormat.text
    ),
) -> None:
    """Every agreement, with its status now: in force, scheduled, due for review, revoked."""
    import psycopg

    from services.database import connect
    from services.sharing.reports import agreement_json, agreements_text
    from services.sharing.store import agreements

    try:
        with connect(settings_for()) as conn:
            listed = agreements(conn)
    except (RuntimeError, psycopg.Error) as exc:
        raise database_failure(exc) from None
    now = datetime.now(UTC)
    if list_format is ListFormat.json:
        typer.echo(orjson.dumps([agreement_json(a, now) for a in listed]).decode())
    else:
        typer.echo(agreements_text(listed, now), nl=False)


@agreement_app.command("revoke")
def agreement_revoke(
    agreement_id: Annotated[str, typer.Argument(metavar="ID", help="e.g. dsa-1f2e3d4c")],
) -> None:
    """Revoke an agreement: events processed from now on are not shared under it."""
    import psycopg

    from services.database import connect
    from services.sharing.store import AgreementError, revoke_agreement

    try:
        with connect(settings_for()) as conn:
            agreement = revoke_agreement(conn, agreement_id)
    except AgreementError as exc:
        raise fail(str(exc)) from None
    except (RuntimeError, psycopg.Error) as exc:
        raise database_failure(exc) from None
    assert agreement.revoked_at is not None
    typer.echo(f"agreement {agreement.id} revoked at {agreement.revoked_at.isoformat()}")


@app.command()
def audit(
    partner: Annotated[str, typer.Option(help="The partner whose events were shared.")],
    request: Annotated[
        str | None, typer.Option(help="Only what was shared about this request id.")
    ] = None,
    audit_format: Annotated[ListFormat, typer.Option("--format", help="text or json.")] = (
        ListFormat.text
    ),
) -> None:
    """Who received what of a partner's events, when, under which agreement or referral."""
    import psycopg

    from services.database import connect
    from services.sharing.audit import audit as shares_of
    from services.sharing.reports import audit_json, audit_text

    try:
        with connect(settings_for()) as conn:
            known = conn.execute("SELECT 1 FROM partners WHERE id = %s", (partner,)).fetchone()
            entries = shares_of(conn, partner, request)
    except (RuntimeError, psycopg.Error) as exc:
        raise database_failure(exc) from None
    if known is None:
        raise fail(f"no partner {partner!r}")
    if audit_format is ListFormat.json:
        typer.echo(orjson.dumps([audit_json(e) for e in entries]).decode())
    else:
        typer.echo(audit_text(entries), nl=False)
