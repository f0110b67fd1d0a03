"""Publishing partners' files: `tandem publish FILE|--watch DIR` and `tandem mapping check`."""

from __future__ import annotations

import asyncio
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from services.cli.common import fail, settings_for

if TYPE_CHECKING:
    import httpx

    from services.client.publisher import Progress, PublishRefused, PublishResult
    from services.publishing.check import Checked
    from services.publishing.folder import Handled
    from services.publishing.mapping import EventMapping

mapping_app = typer.Typer(no_args_is_help=True, help="Mappings from partners' files to events.")

MappingOption = Annotated[
    Path | None,
    typer.Option(
        "--mapping", metavar="FILE", help="YAML mapping from the file's columns to events."
    ),
]


@dataclass(frozen=True)
class Gateway:
    url: str
    token: str
    batch_size: int
    retry_for: float = 0.0
    concurrency: int = 4


def publish(
    file: Annotated[
        Path | None,
        typer.Argument(metavar="FILE", help="A JSON, NDJSON, CSV or .xlsx file.", dir_okay=False),
    ] = None,
    mapping: MappingOption = None,
    skip_invalid: Annotated[
        bool,
        typer.Option("--skip-invalid", help="Send the valid rows and list the others."),
    ] = False,
    batch_size: Annotated[
        int, typer.Option(min=1, max=5000, metavar="N", help="Events per request to the gateway.")
    ] = 1000,
    token: Annotated[
        str | None,
        typer.Option(metavar="TOKEN", help="The partner's token (default: $TANDEM_TOKEN)."),
    ] = None,
    watch: Annotated[
        Path | None,
        typer.Option(
            "--watch", metavar="DIR", file_okay=False, help="Publish every file dropped in DIR."
        ),
    ] = None,
    interval: Annotated[
        float, typer.Option(min=0.05, metavar="SECONDS", help="--watch: seconds between looks.")
    ] = 2,
    retry_for: Annotated[
        float,
        typer.Option(
            min=0,
            metavar="SECONDS",
            help="Wait up to SECONDS for a gateway not running yet (default: fail at once).",
        ),
    ] = 0,
) -> None:
    """Publish events from a file (every row checked first), or from a drop folder."""
    import httpx

    from services.client.publisher import PublishRefused
    from services.publishing.mapping import MappingProblem, load_mapping

    if (file is None) == (watch is None):
        raise fail("give either a FILE or --watch DIR")
    settings = settings_for()
    secret = token or (settings.partner_token and settings.partner_token.get_secret_value())
    if not secret:
        raise fail("no partner token: pass --token or set TANDEM_TOKEN")
    gateway = Gateway(settings.gateway_url, secret, batch_size, retry_for)
    try:
        event_mapping = load_mapping(mapping) if mapping else None
    except MappingProblem as exc:
        raise fail(str(exc)) from None
    if watch is not None:
        _watch(watch, event_mapping, skip_invalid, gateway, interval)
        return
    assert file is not None
    checked = _checked(file, event_mapping)
    for problem in checked.problems:
        typer.echo(str(problem))
    if checked.problems and not skip_invalid:
        raise fail(
            f"{checked.bad_rows} of {checked.rows} rows of {file.name} are invalid (listed "
            "above); nothing was sent. Fix them, or send the others with --skip-invalid"
        )
    try:
        with _progress_bar(len(checked.events)) as progress:
            result = _send(gateway, checked, progress)
    except (PublishRefused, httpx.TransportError) as exc:
        raise fail(_send_failure(gateway, exc)) from None
    typer.echo(_summary(file, checked, result))


@mapping_app.command("check")
def mapping_check(
    file: Annotated[Path, typer.Argument(help="A JSON, NDJSON, CSV or .xlsx file.")],
    mapping: Annotated[Path, typer.Option("--mapping", help="The YAML mapping to try.")],
) -> None:
    """Dry-run a mapping over a file: every bad row with its reason; nothing is sent."""
    from services.publishing.mapping import MappingProblem, load_mapping

    try:
        event_mapping = load_mapping(mapping)
    except MappingProblem as exc:
        raise fail(str(exc)) from None
    checked = _checked(file, event_mapping)
    for problem in checked.problems:
        typer.echo(str(problem))
    typer.echo(
        f"{file.name}: {checked.good_rows} of {checked.rows} rows are good "
        f"({len(checked.events)} events), {checked.bad_rows} bad, "
        f"{checked.eventless_rows} make no event"
    )
    if checked.problems:
        raise fail(f"{checked.bad_rows} bad rows in {file.name}")


def _checked(file: Path, event_mapping: EventMapping | None) -> Checked:
    from services.publishing.check import check_file
    from services.publishing.mapping import MappingProblem
    from services.publishing.rows import FileProblem

    try:
        return check_file(file, event_mapping)
    except (FileProblem, MappingProblem, OSError) as exc:
        raise fail(str(exc)) from None


def _send(gateway: Gateway, checked: Checked, progress: Progress | None) -> PublishResult:
    from services.client.publisher import AsyncPublisher, Backoff

    async def send() -> PublishResult:
        async with AsyncPublisher(
            gateway.url,
            gateway.token,
            batch_size=gateway.batch_size,
            concurrency=gateway.concurrency,
            backoff=Backoff(connect_for=gateway.retry_for),
        ) as publisher:
            return await publisher.publish(checked.events, progress)

    return asyncio.run(send())


def _send_failure(gateway: Gateway, exc: PublishRefused | httpx.TransportError) -> str:
    """One line for why sending stopped."""
    import httpx

    from services.client.publisher import CONNECT_SECONDS, PublishRefused

    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout):
        waited = f", still after {gateway.retry_for:g} s" if gateway.retry_for else ""
        why = (
            f"did not answer within {CONNECT_SECONDS:g} s"
            if isinstance(exc, httpx.ConnectTimeout)
            else f"is not running (cannot connect: {exc or type(exc).__name__})"
        )
        return (
            f"the gateway at {gateway.url} {why}{waited}: start the stack with `tandem up`"
            " (or `make run`), set TANDEM_GATEWAY_URL if it runs elsewhere, or wait for it"
            " with --retry-for SECONDS"
        )
    if isinstance(exc, PublishRefused):
        before = exc.published
        return (
            f"the gateway refused a batch ({exc}); {before.accepted} events were accepted and "
            f"{before.duplicates} were duplicates before it. Publishing the file again is safe"
        )
    return f"cannot reach the gateway at {gateway.url}: {exc or type(exc).__name__}"


def _summary(file: Path, checked: Checked, result: PublishResult) -> str:
    line = (
        f"{file.name}: {len(checked.events)} events from {checked.good_rows} rows: "
        f"{result.accepted} accepted, {result.duplicates} duplicates"
    )
    if checked.problems:
        line += f", {checked.bad_rows} invalid rows skipped"
    if checked.eventless_rows:
        line += f", {checked.eventless_rows} rows made no event"
    if result.dropped:
        names = sorted({name for dropped in result.dropped.values() for name in dropped})
        line += (
            f"; extension attributes dropped from {len(result.dropped)} events before they "
            f"were stored: {', '.join(names)}"
        )
    return line


@contextmanager
def _progress_bar(total: int) -> Iterator[Progress | None]:
    """A progress bar on a terminal; nothing when the output goes to a file or a pipe."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    with Progress(
        "publishing",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
    ) as bar:
        task = bar.add_task("events", total=total)
        yield lambda done: bar.advance(task, done.events)


def _watch(
    folder: Path,
    event_mapping: EventMapping | None,
    skip_invalid: bool,
    gateway: Gateway,
    interval: float,
) -> None:
    from services import logs
    from services.publishing.folder import watch

    logs.configure("tandem-publish", settings_for().log_level)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())

    def handle(path: Path) -> Handled:
        return _handle_dropped(path, event_mapping, skip_invalid, gateway)

    try:
        watch(folder, handle, stop, interval)
    except KeyboardInterrupt:
        return


def _handle_dropped(
    path: Path, event_mapping: EventMapping | None, skip_invalid: bool, gateway: Gateway
) -> Handled:
    import httpx

    from services.client.publisher import PublishRefused, is_retryable
    from services.publishing.check import check_file
    from services.publishing.folder import Handled, Verdict
    from services.publishing.rows import FileProblem

    try:
        checked = check_file(path, event_mapping)
    except (FileProblem, OSError) as exc:
        return Handled(Verdict.FAILED, f"{exc}\n")
    report = "".join(f"{problem}\n" for problem in checked.problems)
    if checked.problems and not skip_invalid:
        return Handled(Verdict.FAILED, report + "nothing was sent\n")
    try:
        result = _send(gateway, checked, None)
    except PublishRefused as exc:
        if is_retryable(exc.status):
            return Handled(Verdict.LATER, _send_failure(gateway, exc))
        return Handled(Verdict.FAILED, report + f"{_send_failure(gateway, exc)}\n")
    except httpx.TransportError as exc:
        return Handled(Verdict.LATER, _send_failure(gateway, exc))
    typer.echo(_summary(path, checked, result))
    return Handled(Verdict.DONE, report)
