"""Exercises: `tandem replay` (and its facilitator controls), `tandem debrief`, `tandem lesson`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import orjson
import typer

from services.cli.common import database, fail, refusals, settings_for
from services.cli.figures_commands import ReportFormat

if TYPE_CHECKING:
    from services.replay.player import Progress

replay_app = typer.Typer(
    help="Replay an archived incident as an exercise run, and control it.",
    invoke_without_command=True,
    no_args_is_help=True,
)
lesson_app = typer.Typer(no_args_is_help=True, help="Lessons identified in an exercise run.")


def scenario_time(option: str, value: str | None) -> datetime | None:
    from services.figures.sitrep import parse_at

    try:
        return None if value is None else parse_at(value)
    except ValueError as exc:
        raise fail(f"{option}: {exc}") from None


def speed_factor(value: str) -> float | None:
    if value == "max":
        return None
    try:
        speed = float(value)
    except ValueError:
        speed = 0.0
    if speed <= 0:
        raise fail(f"--speed must be a positive number or max, not {value!r}")
    return speed


def run_refusals() -> tuple[type[Exception], ...]:
    from services.exercises.injects import InjectsInvalid
    from services.exercises.runs import RunError

    return RunError, InjectsInvalid


@replay_app.callback()
def replay(
    ctx: typer.Context,
    incident: Annotated[str | None, typer.Option(help="The archived incident to replay.")] = None,
    run: Annotated[str | None, typer.Option(help="The exercise run's id, e.g. ex-2026-11.")] = None,
    speed: Annotated[str, typer.Option(help="Speed factor (60 = an hour a minute), or max.")] = "1",
    scenario_from: Annotated[
        str | None, typer.Option("--from", help="Scenario start (default: the first event).")
    ] = None,
    scenario_to: Annotated[
        str | None, typer.Option("--to", help="Scenario end (default: the last event).")
    ] = None,
    injects: Annotated[
        Path | None, typer.Option(help="A YAML list of injects (see examples/exercise/).")
    ] = None,
    shift_to_now: Annotated[
        bool, typer.Option("--shift-to-now", help="Show the scenario's first day as today.")
    ] = False,
    facilitator: Annotated[
        list[str] | None,
        typer.Option(help="A partner that may steer the run over HTTP (repeat for more)."),
    ] = None,
) -> None:
    """Replay an incident into an exercise run (or control one: see the commands)."""
    if ctx.invoked_subcommand is not None:
        return
    if incident is None or run is None:
        raise fail("replay needs --incident and --run")
    from services.replay.session import ReplayPlan
    from services.replay.session import replay as play

    plan = ReplayPlan(
        incident=incident,
        run=run,
        speed=speed_factor(speed),
        scenario_from=scenario_time("--from", scenario_from),
        scenario_to=scenario_time("--to", scenario_to),
        injects=injects,
        shift_to_now=shift_to_now,
        facilitators=tuple(facilitator or ()),
    )
    with refusals(*run_refusals()), progress_bar(run) as show:
        try:
            done = play(settings_for(), plan, show, lambda scope: typer.echo(scope.describe()))
        except KeyboardInterrupt:
            control_run(run, "stop")
            raise fail(f"run {run} stopped") from None
    typer.echo(
        f"run {run} {done.state}: {done.events_sent} events sent, {done.suppressed} suppressed,"
        f" injects fired: {', '.join(done.injects_fired) or 'none'}"
    )


@contextmanager
def progress_bar(run: str) -> Iterator[Callable[[Progress], None]]:
    from rich.progress import Progress as Bar
    from rich.progress import SpinnerColumn, TextColumn, TimeElapsedColumn

    with Bar(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        TextColumn("scenario {task.fields[scenario]}"),
        TextColumn("{task.completed:,.0f} events"),
        TextColumn("{task.fields[rate]:,.0f}/s"),
        TextColumn("{task.fields[state]}"),
        TimeElapsedColumn(),
        transient=False,
    ) as bar:
        task = bar.add_task(run, total=None, scenario="-", rate=0.0, state="starting")

        def show(progress: Progress) -> None:
            elapsed = bar.tasks[task].elapsed or 0.0
            bar.update(
                task,
                completed=progress.events_sent,
                scenario=progress.scenario_time.isoformat() if progress.scenario_time else "-",
                rate=progress.events_sent / elapsed if elapsed > 0 else 0.0,
                state=progress.state,
            )

        yield show


def control_run(
    run: str, action: Any, speed: float | None = None, to: datetime | None = None
) -> None:
    from services.exercises.runs import control

    with database(*run_refusals()) as conn:
        segment = control(conn, run, action, speed, to)
    typer.echo(f"run {run}: {segment.state}, scenario {segment.scenario_time.isoformat()}")


@replay_app.command()
def pause(run: Annotated[str, typer.Argument(help="The exercise run.")]) -> None:
    """Pause a run: its scenario clock stands still."""
    control_run(run, "pause")


@replay_app.command()
def resume(run: Annotated[str, typer.Argument(help="The exercise run.")]) -> None:
    """Resume a paused run from where it stood."""
    control_run(run, "resume")


@replay_app.command()
def stop(run: Annotated[str, typer.Argument(help="The exercise run.")]) -> None:
    """End a run; its figures stay."""
    control_run(run, "stop")


@replay_app.command("speed")
def change_speed(
    run: Annotated[str, typer.Argument(help="The exercise run.")],
    factor: Annotated[str, typer.Argument(help="The new speed factor, or max.")],
) -> None:
    """Change a run's speed from now on."""
    control_run(run, "speed", speed=speed_factor(factor))


@replay_app.command()
def jump(
    run: Annotated[str, typer.Argument(help="The exercise run.")],
    to: Annotated[str, typer.Argument(help="The scenario time to jump to (RFC 3339).")],
) -> None:
    """Jump to a scenario time, ahead (what lies between is sent at once) or back."""
    control_run(run, "jump", to=scenario_time("jump", to))


@replay_app.command("facilitator")
def add_facilitator(
    run: Annotated[str, typer.Argument(help="The exercise run.")],
    partner: Annotated[str, typer.Argument(help="The partner that may steer it over HTTP.")],
) -> None:
    """Let a partner steer a run over HTTP (pause, speed, jump, injects): its control team."""
    from services.exercises.runs import add_facilitator as add

    with database(*run_refusals()) as conn:
        add(conn, run, partner)
    typer.echo(f"run {run}: {partner} is a facilitator")


@replay_app.command()
def status(
    run: Annotated[str | None, typer.Argument(help="One run (default: every run).")] = None,
    report_format: Annotated[
        ReportFormat, typer.Option("--format", help="json, or md for a table.")
    ] = ReportFormat.md,
) -> None:
    """Each run: state, speed, scenario clock, events sent, injects, facilitators."""
    from services.exercises.runs import statuses

    with database(*run_refusals()) as conn:
        found = statuses(conn, run)
    if report_format is ReportFormat.json:
        typer.echo(orjson.dumps([s.as_json() for s in found]).decode())
        return
    typer.echo(
        "| run | incident | state | speed | scenario clock | events sent | injects | facilitators |"
    )
    typer.echo("|---|---|---|---|---|---|---|---|")
    for s in found:
        speed = "max" if s.speed is None else f"{s.speed:g}x"
        injects = ", ".join(f"{n} {state}" for state, n in sorted(s.injects.items())) or "none"
        typer.echo(
            f"| {s.run} | {s.incident} | {s.state} | {speed} | {s.clock.isoformat()}"
            f" | {s.events_sent:,} | {injects} | {', '.join(s.facilitators) or 'CLI only'} |"
        )


@replay_app.command()
def inject(
    run: Annotated[str, typer.Argument(help="The exercise run.")],
    file: Annotated[Path, typer.Argument(help="A YAML file of injects, fired now.")],
) -> None:
    """Fire ad-hoc injects now, at the run's current scenario time."""
    from services.exercises.injects import load_injects
    from services.exercises.runs import fire_ad_hoc, load_run

    with database(*run_refusals()) as conn:
        for each in load_injects(file, load_run(conn, run).incident):
            fire_ad_hoc(conn, run, each)
            typer.echo(f"run {run}: inject {each.id} fired")


def _inject_command(action: str, doc: str) -> None:
    def change(
        run: Annotated[str, typer.Argument(help="The exercise run.")],
        inject_id: Annotated[str, typer.Argument(help="The inject's id.")],
    ) -> None:
        from services.exercises.runs import change_inject

        with database(*run_refusals()) as conn:
            change_inject(conn, run, inject_id, action)  # type: ignore[arg-type]
        typer.echo(f"run {run}: inject {inject_id} {action}")

    change.__doc__ = doc
    replay_app.command(action)(change)


_inject_command("hold", "Hold a scheduled inject: it waits until released.")
_inject_command("release", "Release a held inject: it fires at once if its time has passed.")
_inject_command("skip", "Skip a scheduled or held inject: it never fires.")


def debrief(
    run: Annotated[str, typer.Option(help="The exercise run.")],
    out: Annotated[Path, typer.Option(help="The HTML file to write.")],
) -> None:
    """Write the exercise debrief: a self-contained HTML report."""
    from services.exercises.debrief import gather
    from services.exercises.debrief_html import render

    with database(*run_refusals()) as conn:
        report = gather(conn, run)
    out.write_text(render(report))
    typer.echo(str(out))


@lesson_app.command("add")
def lesson_add(
    run: Annotated[str, typer.Option(help="The exercise run.")],
    text: Annotated[str, typer.Argument(help="The lesson, in a sentence or two.")],
) -> None:
    """Record a lesson identified; the debrief carries it."""
    from services.exercises.runs import add_lesson

    with database(*run_refusals()) as conn:
        add_lesson(conn, run, text)
    typer.echo(f"run {run}: lesson recorded")
