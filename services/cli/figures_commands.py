"""The situation report and its tables: `tandem sitrep`, `tandem export`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from services.cli.common import columns, database, fail, settings_for

if TYPE_CHECKING:
    import psycopg

    from services.figures.sitrep import Sitrep
    from services.figures.sitrep_markdown import Changed
    from services.figures.sitrep_tables import Table


class ReportFormat(StrEnum):
    json = "json"
    md = "md"


class TableFormat(StrEnum):
    csv = "csv"
    hxl = "hxl"


Incident = Annotated[str, typer.Option(help="The incident's id, e.g. covid-2020.")]
At = Annotated[
    str | None,
    typer.Option(
        help="RFC 3339 time, e.g. 2020-04-01T12:00:00Z (default: now while the incident is live,"
        " else its latest event; for an exercise run, where its clock stands)."
    ),
]
Run = Annotated[str, typer.Option(help="live, or an exercise run id.")]


sitrep_app = typer.Typer(
    help="The situation report of an incident at a time, from the live figures; which time, and"
    " why, on stderr. `issue` records an edition; `schedule` issues them at set times.",
    invoke_without_command=True,
)

Since = Annotated[
    str | None,
    typer.Option(
        help="Show each figure's change since an edition (its number: as it was issued) or a"
        " time (RFC 3339: the figures at that time as they read now)."
    ),
]
Format = Annotated[
    ReportFormat,
    typer.Option("--format", help="json (its figures: docs/figures.md) or md (one page)."),
]


@sitrep_app.callback()
def sitrep(
    ctx: typer.Context,
    incident: Annotated[str | None, typer.Option(help="The incident's id.")] = None,
    at: At = None,
    run: Run = "live",
    since: Since = None,
    report_format: Format = ReportFormat.json,
) -> None:
    """The situation report of an incident at a time, from the live figures; which time, and
    why, on stderr."""
    if ctx.invoked_subcommand is not None:
        return
    if incident is None:
        raise fail("--incident is required (the incident's id, e.g. covid-2020)")
    from services.figures.sitrep_markdown import render_markdown

    report, _, changed = _read_sitrep(incident, at, run, since=since)
    if changed is not None:
        show_changed(report, changed, report_format)
    elif report_format is ReportFormat.md:
        typer.echo(render_markdown(report), nl=False)
    else:
        typer.echo(report.model_dump_json())


def show_changed(report: Sitrep, changed: Changed, report_format: ReportFormat) -> None:
    """The report with its changes: Markdown with a section of what changed, or JSON with a
    `changes` object (and what they are since) beside the figures."""
    import json

    from services.figures.changes import changes_json
    from services.figures.sitrep_markdown import render_markdown

    if report_format is ReportFormat.md:
        typer.echo(render_markdown(report, changed), nl=False)
        return
    shown = report.model_dump(mode="json")
    shown.update(since=changed.since, changes=changes_json(changed.changes))
    typer.echo(json.dumps(shown))


def incidents() -> None:
    """Each incident with a live event: its first and latest event, events, partners."""
    from services.figures.incidents import counts, when_text

    with database() as conn:
        found = counts(conn)
    if not found:
        typer.echo("no incident yet: no event has reached the figures")
        return
    rows = [
        (
            line.incident.incident,
            when_text(line.incident.first_event),
            when_text(line.incident.latest_event),
            f"{line.events:,}",
            str(line.partners),
        )
        for line in found
    ]
    typer.echo(columns(("incident", "first event", "latest event", "events", "partners"), rows))


def export(
    incident: Incident,
    out: Annotated[Path, typer.Option(help="Directory to write the CSV files into.")],
    at: At = None,
    run: Run = "live",
    table_format: Annotated[
        TableFormat,
        typer.Option("--format", help="csv, or hxl: CSV with a row of HXL hashtags."),
    ] = TableFormat.csv,
) -> None:
    """The situation report's tables as CSV files, one per table; prints each file's path."""
    from services.figures.sitrep_tables import sitrep_tables
    from services.figures.tables_csv import write_csv

    report, areas, _ = _read_sitrep(incident, at, run, areas=True)
    try:
        out.mkdir(parents=True, exist_ok=True)
        for table in [*sitrep_tables(report), *areas]:
            typer.echo(write_csv(table, out, hxl=table_format is TableFormat.hxl))
    except OSError as exc:
        raise fail(f"could not write {out}: {exc.strerror or exc}") from None


def _read_sitrep(
    incident: str, at: str | None, run: str, areas: bool = False, since: str | None = None
) -> tuple[Sitrep, list[Table], Changed | None]:
    """The sitrep at T (and, when asked, the figures by area, or its changes since an edition
    or a time) in one connection; T, and why it is T, said on stderr. An incident with no live
    event is refused, naming the known ones."""
    from services.figures.area_tables import area_tables
    from services.figures.sitrep import sitrep as situation_report

    with figures_connection() as conn:
        when, said = report_time(conn, incident, at, run)
        report = situation_report(conn, incident, when, run)
        tables = area_tables(conn, report) if areas else []
        changed = None if since is None else changed_since(conn, report, since, run)
    typer.echo(f"{incident} {said}", err=True)
    return report, tables, changed


@contextmanager
def figures_connection() -> Iterator[psycopg.Connection[Any]]:
    """A connection to the figures; an unknown incident, run or edition, or a time that is
    not one, is a one-line failure."""
    import psycopg

    from services.exercises.runs import RunError
    from services.figures.editions import UnknownEdition
    from services.figures.incidents import UnknownIncident
    from services.store.connections import connect

    try:
        with connect(settings_for()) as conn:
            yield conn
    except (RunError, UnknownIncident, UnknownEdition, ValueError) as exc:
        raise fail(str(exc)) from None
    except (RuntimeError, psycopg.Error) as exc:
        reason = str(exc).strip().partition("\n")[0] or type(exc).__name__
        raise fail(f"could not read the figures: {reason}") from None


def report_time(
    conn: psycopg.Connection[Any], incident: str, at: str | None, run: str
) -> tuple[datetime, str]:
    """T asked for (`at`, RFC 3339), else by the board's rule for a live incident or where the
    run's clock stands; and why it is T, in words. UnknownIncident for a live incident with no
    event, ValueError for a time that is not one."""
    from services.exercises.runs import standing_run_time
    from services.figures.incidents import as_of, default_at, when_text
    from services.figures.incidents import incident as live_incident
    from services.figures.sitrep import parse_at

    when = None if at is None else parse_at(at)
    if run == "live":
        found = live_incident(conn, incident)
        if when is None:
            when, basis = default_at(found, datetime.now(UTC))
            return when, as_of(when, basis)
    elif when is None:
        when = standing_run_time(conn, run)
        return when, f"as of {when_text(when)}, where the clock of run {run} stands"
    return when, as_of(when, "asked")


def changed_since(conn: psycopg.Connection[Any], report: Sitrep, since: str, run: str) -> Changed:
    """`report`'s changes since an edition (a number: its figures as issued) or a time (the
    figures at that time as they read now)."""
    from services.figures.changes import changes
    from services.figures.editions import edition
    from services.figures.incidents import when_text
    from services.figures.sitrep import parse_at
    from services.figures.sitrep import sitrep as situation_report
    from services.figures.sitrep_markdown import Changed

    if since.isdigit():
        if run != "live":
            raise ValueError(f"editions are of the live figures, not of run {run}: --since a time")
        then = edition(conn, report.incident, int(since))
        return Changed(then.since(), changes(report, then.figures))
    at = parse_at(since)
    earlier = situation_report(conn, report.incident, at, run)
    return Changed(when_text(at), changes(report, earlier))
