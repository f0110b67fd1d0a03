"""The situation report: `tandem sitrep`."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated

import typer

from services.cli.common import fail, settings_for


class ReportFormat(StrEnum):
    json = "json"
    md = "md"


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
