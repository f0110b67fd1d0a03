"""The situation report and its tables: `tandem sitrep`, `tandem export`."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from services.cli.common import columns, database, fail, settings_for

if TYPE_CHECKING:
    from services.figures.sitrep import Sitrep
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


def sitrep(
    incident: Incident,
    at: At = None,
    run: Run = "live",
    report_format: Annotated[
        ReportFormat,
        typer.Option("--format", help="json (its figures: docs/figures.md) or md (one page)."),
    ] = ReportFormat.json,
) -> None:
    """The situation report of an incident at a time, from the live figures; which time, and
    why, on stderr."""
    from services.figures.sitrep_markdown import render_markdown

    report, _ = _read_sitrep(incident, at, run)
    if report_format is ReportFormat.md:
        typer.echo(render_markdown(report), nl=False)
    else:
        typer.echo(report.model_dump_json())


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

    report, areas = _read_sitrep(incident, at, run, areas=True)
    try:
        out.mkdir(parents=True, exist_ok=True)
        for table in [*sitrep_tables(report), *areas]:
            typer.echo(write_csv(table, out, hxl=table_format is TableFormat.hxl))
    except OSError as exc:
        raise fail(f"could not write {out}: {exc.strerror or exc}") from None


def _read_sitrep(
    incident: str, at: str | None, run: str, areas: bool = False
) -> tuple[Sitrep, list[Table]]:
    """The sitrep at T (and, when asked, the figures by area) in one connection; T, and why it
    is T, said on stderr. An incident with no live event is refused, naming the known ones."""
    import psycopg

    from services.exercises.runs import RunError, standing_run_time
    from services.figures.area_tables import area_tables
    from services.figures.incidents import UnknownIncident, as_of, default_at, when_text
    from services.figures.incidents import incident as live_incident
    from services.figures.sitrep import parse_at
    from services.figures.sitrep import sitrep as situation_report
    from services.store.connections import connect

    try:
        when = None if at is None else parse_at(at)
    except ValueError as exc:
        raise fail(str(exc)) from None
    try:
        with connect(settings_for()) as conn:
            if run == "live":
                found = live_incident(conn, incident)
                if when is None:
                    when, basis = default_at(found, datetime.now(UTC))
                    said = as_of(when, basis)
                else:
                    said = as_of(when, "asked")
            elif when is None:
                when = standing_run_time(conn, run)
                said = f"as of {when_text(when)}, where the clock of run {run} stands"
            else:
                said = as_of(when, "asked")
            report = situation_report(conn, incident, when, run)
            tables = area_tables(conn, report) if areas else []
    except (RunError, UnknownIncident) as exc:
        raise fail(str(exc)) from None
    except (RuntimeError, psycopg.Error) as exc:
        reason = str(exc).strip().partition("\n")[0] or type(exc).__name__
        raise fail(f"could not read the figures: {reason}") from None
    typer.echo(f"{incident} {said}", err=True)
    return report, tables
