"""Sitrep editions: `tandem sitrep issue` and `tandem sitrep schedule`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

import typer

from services.cli.common import columns, database, fail
from services.cli.figures_commands import (
    At,
    Format,
    ReportFormat,
    figures_connection,
    report_time,
    sitrep_app,
)

if TYPE_CHECKING:
    from services.figures.editions import Edition
    from services.figures.schedules import Schedule

OptionalIncident = Annotated[
    str | None, typer.Option("--incident", help="The incident's id, e.g. covid-2020.")
]


@sitrep_app.command("issue")
def issue(
    incident: Annotated[str, typer.Option(help="The incident's id, e.g. covid-2020.")],
    at: At = None,
    by: Annotated[str, typer.Option(help="Who issues it, as the edition will say.")] = "operator",
    report_format: Format = ReportFormat.md,
) -> None:
    """Record the incident's next sitrep edition (its figures kept as they are now) and print
    it, with what changed since the edition before."""
    from services.figures.editions import edition as stored
    from services.figures.editions import issue as issue_edition

    with figures_connection() as conn:
        when, said = report_time(conn, incident, at, "live")
        edition = issue_edition(conn, incident, when, by, datetime.now(UTC))
        assert edition is not None  # only a scheduled slot is ever issued already
        previous = None if edition.previous is None else stored(conn, incident, edition.previous)
    typer.echo(f"{incident} edition {edition.number} {said}", err=True)
    show_edition(edition, None if previous is None else previous.since(), report_format)


def show_edition(edition: Edition, since: str | None, report_format: ReportFormat) -> None:
    """The edition as JSON, or as the sitrep's Markdown with its changes since `since` (the
    edition before, in words) and what late events did to that one."""
    from services.figures.incidents import when_text
    from services.figures.sitrep_markdown import Changed, render_markdown

    if report_format is ReportFormat.json:
        typer.echo(edition.model_dump_json())
        return
    when = when_text(edition.issued_at)
    issued = f"Edition {edition.number}, issued {when} by {edition.issued_by}"
    late = [f"Late events: {edition.late.words()}."] if edition.late else []
    changed = Changed(since, edition.changes, issued, late)
    typer.echo(render_markdown(edition.figures, changed), nl=False)


@sitrep_app.command("schedule")
def schedule(
    incident: OptionalIncident = None,
    at: Annotated[
        str | None, typer.Option("--at", help="Local times of day, e.g. 09:00,17:00.")
    ] = None,
    zone: Annotated[
        str, typer.Option(help="The time zone of those times (IANA), e.g. Europe/London.")
    ] = "Europe/London",
    list_them: Annotated[bool, typer.Option("--list", help="List the schedules.")] = False,
    remove: Annotated[
        bool, typer.Option("--remove", help="Stop issuing the incident's editions.")
    ] = False,
) -> None:
    """Issue the incident's editions at local times of day while the stack runs (`tandem up`);
    --list the schedules, --remove one."""
    from services.figures import schedules
    from services.figures.incidents import UnknownIncident

    with database(UnknownIncident, ValueError) as conn:
        if list_them:
            rows = [
                (s.incident, ",".join(f"{t:%H:%M}" for t in s.times), s.zone, next_text(s))
                for s in schedules.schedules(conn)
            ]
            typer.echo(columns(("incident", "at", "zone", "next edition"), rows))
            return
        if incident is None:
            raise fail("--incident is required (or --list)")
        if remove:
            if not schedules.remove(conn, incident):
                raise fail(f"no schedule for {incident}")
            typer.echo(f"{incident}: editions no longer scheduled")
            return
        if at is None:
            raise fail("--at is required: local times of day, e.g. 09:00,17:00")
        times = schedules.parse_times(at)
        schedules.add(conn, incident, times, zone, datetime.now(UTC))
        found = schedules.schedules(conn)
    (added,) = [s for s in found if s.incident == incident]
    upcoming = next_text(added)
    typer.echo(f"{incident}: an edition at {at} {zone} while the stack runs; the next {upcoming}")


def next_text(s: Schedule) -> str:
    """When its next edition is due, in UTC."""
    from services.figures.incidents import when_text
    from services.figures.schedules import next_slot

    return when_text(next_slot(s.times, s.zone, max(datetime.now(UTC), s.issued_through)))
