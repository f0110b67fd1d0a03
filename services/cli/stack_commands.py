"""Running the platform: `tandem up`, `status`, `down`, `tandem partner add`, `tandem simulate`."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Annotated

import orjson
import typer

from services.cli.common import columns, database, fail, settings_for

partner_app = typer.Typer(no_args_is_help=True, help="Partner organisations and their tokens.")


def up(
    no_demo: Annotated[bool, typer.Option("--no-demo", help="Do not stream the demo.")] = False,
    data_dir: Annotated[
        Path | None, typer.Option(metavar="DIR", help="Where data is kept.")
    ] = None,
    port: Annotated[int, typer.Option(metavar="PORT", help="The gateway's port.")] = 8080,
    demo_speed: Annotated[
        float,
        typer.Option(metavar="FACTOR", help="Scenario seconds per wall-clock second for the demo."),
    ] = 3600.0,
    postgres_port: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=65535,
            metavar="PORT",
            help="Also open the embedded PostgreSQL on this port of 127.0.0.1, for a local"
            " Grafana (default: TANDEM_POSTGRES_PORT, else its Unix socket only).",
        ),
    ] = None,
) -> None:
    """Start the whole platform (what `make run` runs) until Ctrl-C or `tandem down`: one
    stack per data directory."""
    from infra.stack import StackOptions, run
    from services import logs
    from services.simulate.demo_progress import DEMO_FILE
    from services.simulate.demo_stream import demo_runner
    from services.streaming.topics import ensure_topics

    settings = settings_for(data_dir)
    if postgres_port is not None:
        settings = settings.model_copy(update={"postgres_port": postgres_port})
    logs.configure("tandem-up", settings.log_level)
    options = StackOptions(
        settings.data_dir,
        port,
        on_broker_start=ensure_topics,
        on_ready=None if no_demo else demo_runner(demo_speed, typer.echo),
        run_files=(DEMO_FILE,),
        next_steps=next_steps(port, demo=not no_demo),
    )
    try:
        run(options, settings, typer.echo)
    except (RuntimeError, TimeoutError, OSError) as exc:
        raise fail(f"could not start: {exc}") from None


def next_steps(port: int, demo: bool) -> tuple[tuple[str, str], ...]:
    """Three things to try for the banner, each with what it shows, that work as typed on what
    `tandem up` starts."""
    from services.simulate.demo_stream import DEMO_INCIDENT

    first = (
        (f"tandem sitrep --incident {DEMO_INCIDENT} --format md", "the demo's figures")
        if demo
        else ("tandem partner add ID --name NAME", "a partner, and its token")
    )
    return (
        first,
        (f"http://127.0.0.1:{port}/", "the situation board: open it in a browser"),
        ("tandem status", "what runs, and how far the demo has got"),
    )


@partner_app.command("add")
def partner_add(
    partner_id: Annotated[str, typer.Argument(metavar="ID", help="e.g. kingston-foodbank")],
    name: Annotated[str, typer.Option(help="The organisation's name.")],
) -> None:
    """Register a partner; print its token once, alone on the last line."""
    from schemas.ids import ID_PATTERN
    from services.store.connections import connect
    from services.store.partners import Partner, PartnerExists, add_partner

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


@partner_app.command("list")
def partner_list() -> None:
    """Each partner: id, name, tokens in use, when it last published an event."""
    from services.figures.incidents import incidents, when_text
    from services.figures.partners import partner_lines

    with database() as conn:
        lines = partner_lines(conn, [i.incident for i in incidents(conn)])
    if not lines:
        typer.echo("no partner yet: add one with `tandem partner add ID --name NAME`")
        return
    rows = [
        (
            line.partner,
            line.name,
            str(line.tokens),
            f"{line.events:,}",
            when_text(line.latest_event) if line.latest_event else "never",
        )
        for line in lines
    ]
    header = ("partner", "name", "tokens in use", "events", "last published")
    typer.echo(columns(header, rows))


@partner_app.command("rotate")
def partner_rotate(
    partner_id: Annotated[str, typer.Argument(metavar="ID")],
    keep_old: Annotated[
        bool, typer.Option("--keep-old", help="Keep the old tokens working too (a handover).")
    ] = False,
) -> None:
    """Issue a new token (alone on the last line); the old ones stop working within 1 s."""
    from services.store.connections import connect
    from services.store.partners import UnknownPartner, rotate_token

    try:
        with connect(settings_for()) as conn:
            token = rotate_token(conn, partner_id, keep_old)
    except (UnknownPartner, RuntimeError) as exc:
        raise fail(str(exc)) from None
    typer.echo(f"new token for {partner_id}. It is shown once; keep it secret:")
    typer.echo(token)


@partner_app.command("revoke")
def partner_revoke(partner_id: Annotated[str, typer.Argument(metavar="ID")]) -> None:
    """Revoke every token of a partner: within 1 s its systems can no longer publish or read."""
    from services.store.connections import connect
    from services.store.partners import revoke_tokens

    try:
        with connect(settings_for()) as conn:
            count = revoke_tokens(conn, partner_id)
    except RuntimeError as exc:
        raise fail(str(exc)) from None
    typer.echo(f"{count} token(s) of {partner_id} revoked")


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


def status(
    output: Annotated[
        str, typer.Option("--format", help="text or json", metavar="text|json")
    ] = "text",
) -> None:
    """What runs from this data directory (each process, since when, where it listens, the
    demo's progress), and whether every accepted event has reached the figures."""
    from infra.stack_lock import holder
    from services.cli.stack_status import describe, stack_status
    from services.streaming.completeness import COMPLETENESS_SQL, completeness_of

    settings = settings_for()
    data_dir = settings.data_dir.absolute()
    stack = stack_status(data_dir)
    if stack is None and (pid := holder(data_dir)) is not None:
        raise fail(f"a stack is starting from {data_dir} (tandem up pid {pid}); ask again soon")
    if stack is None and not settings.database_url:
        raise fail(settings.no_stack())
    if output != "json":  # first: which process is down, should the database not answer
        told = [f"stack     {settings.no_stack()}", f"gateway   {settings.gateway_url}"]
        typer.echo("\n".join(describe(stack) if stack else told))
    with database() as conn:
        row = conn.execute(COMPLETENESS_SQL).fetchone()
    assert row is not None
    found = completeness_of(row)
    if output == "json":
        typer.echo(
            orjson.dumps(
                {
                    "data_dir": str(data_dir),
                    "gateway": settings.gateway_url,
                    "stack": stack,
                    "figures": found.summary(),
                }
            )
        )
        return
    problems = found.problems()
    if not problems:
        state = "complete: every stored event is in the archive, the figures and the router"
        if found.uncounted:
            state = f"catching up: {found.uncounted} events on their way"
        typer.echo(f"figures   {state}")
    for problem in problems:
        typer.echo(f"figures   {problem}")
    typer.echo(
        f"repairs   {found.repairs_total} events published again by the reconciler;"
        f" {found.unconfirmed_total} records re-sent by the relay"
    )


def down() -> None:
    """Stop the stack running from this data directory, as Ctrl-C in its terminal would."""
    from services.cli.stack_status import stop_stack

    settings = settings_for()
    data_dir = settings.data_dir.absolute()

    def stopping(pid: int) -> None:
        typer.echo(f"stopping the stack running from {data_dir} (tandem up pid {pid})…")

    try:
        pid = stop_stack(data_dir, stopping)
    except (TimeoutError, PermissionError) as exc:
        raise fail(f"could not stop the stack in {data_dir}: {exc}") from None
    if pid is None:
        raise fail(settings.no_stack())
    typer.echo("stopped: every process it started has ended")
