"""`tandem up`: the whole platform on one machine, from nothing installed but Python.

One stack per data directory (a lock held for life: a second `tandem up` there says where the
first listens and touches nothing of it), embedded PostgreSQL and broker when `DATABASE_URL` /
`KAFKA_BOOTSTRAP` are unset, migrations, topics, every service as a supervised process with its
own log in `<data dir>/logs/`, then readiness, `stack.json` (who runs, since when, where, each
pid: what `tandem status` shows), and what the caller wants run once it is ready (`tandem up`:
the demo incident streamed through the gateway). The topics are the caller's to make: this
module runs servers and knows nothing of what flows through them.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

import httpx

from infra.broker import EmbeddedBroker
from infra.migrate import migrate
from infra.postgres import EmbeddedPostgres
from infra.stack_lock import StackRunning, hold
from infra.supervisor import ServiceSpec, Supervisor
from services.logs import replace_private
from services.settings import STACK_FILE, Settings, running_stack

log = logging.getLogger(__name__)

READY_SECONDS = 90.0


@dataclass(frozen=True)
class StackOptions:
    data_dir: Path
    port: int
    on_broker_start: Callable[[Settings], object]
    """What an empty broker needs before the services start (the topics), each time it starts."""
    on_ready: Callable[[Settings, threading.Event], None] | None = None
    """Run in a thread once the stack is ready (the demo stream), told by the event to stop."""
    run_files: tuple[str, ...] = ()
    """Files of the data directory that describe the run (the demo's progress), removed at the
    start and at the end of each run, beside the stack's own record."""
    next_steps: tuple[tuple[str, str], ...] = ()
    """What to try next and what it shows, for the banner (the caller knows what the demo
    streams)."""


def services(port: int) -> tuple[ServiceSpec, ...]:
    return (
        ServiceSpec("gateway", "services.gateway", ("--port", str(port))),
        ServiceSpec("relay", "services.relay"),
        ServiceSpec("archiver", "services.archiver"),
        ServiceSpec("inbound", "services.inbound"),
        ServiceSpec("aggregator", "services.aggregator"),
        ServiceSpec("router", "services.router"),
        ServiceSpec("webhooks", "services.webhooks"),
        ServiceSpec("editions", "services.editions"),
    )


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def listening(port: int) -> bool:
    """Whether something accepts connections on the loopback `port`."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def wait_ready(url: str, alive: Callable[[], bool], timeout: float = READY_SECONDS) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if not alive():
            raise RuntimeError("a service died while starting: see its log")
        time.sleep(0.2)
    raise TimeoutError(f"{url} not ready after {timeout}s")


class Stack:
    """The running platform; `close()` stops everything it started."""

    def __init__(self, options: StackOptions, settings: Settings) -> None:
        self.options = options
        self.data_dir = options.data_dir.resolve()
        self.postgres = (
            None
            if settings.database_url
            else EmbeddedPostgres(self.data_dir / "pg", settings.postgres_port)
        )
        self.broker = (
            None
            if settings.kafka_bootstrap
            else EmbeddedBroker(log_file=self.data_dir / "logs" / "broker.log")
        )
        self.settings = settings
        self.supervisor: Supervisor | None = None
        self.started_at = datetime.now(UTC)
        self._recorded: dict[str, Any] = {}

    def start(self) -> Settings:
        self.forget()  # what a killed run left
        if listening(self.options.port):
            # Its readiness would be taken for this gateway's.
            raise RuntimeError(
                f"port {self.options.port} is taken (a stack of another data directory?):"
                " give this one another with --port"
            )
        if self.settings.postgres_port is not None:
            self._check_postgres_port(self.settings.postgres_port)
        database_url = self.settings.database_url or self._start_postgres()
        bootstrap = self.settings.kafka_bootstrap or self._start_broker()
        gateway_url = f"http://127.0.0.1:{self.options.port}"
        self.settings = self.settings.model_copy(
            update={
                "database_url": database_url,
                "kafka_bootstrap": bootstrap,
                "gateway_url": gateway_url,
                "data_dir": self.data_dir,
            }
        )
        migrate(database_url)
        self.options.on_broker_start(self.settings)
        self.supervisor = Supervisor(self.data_dir / "logs", self.settings.child_env())
        for spec in services(self.options.port):
            self.supervisor.start(spec)
        supervisor = self.supervisor
        wait_ready(gateway_url, lambda: len(supervisor.pids()) == len(services(0)))
        self.keep_record()
        return self.settings

    def _check_postgres_port(self, port: int) -> None:
        if self.settings.database_url:
            raise RuntimeError(
                "a PostgreSQL port is for the embedded PostgreSQL; DATABASE_URL names another"
            )
        assert self.postgres is not None
        self.postgres.stop()  # one a killed run left behind would hold the port
        if listening(port):
            raise RuntimeError(f"port {port} is taken: give PostgreSQL another")

    def record(self) -> dict[str, Any]:
        """What `stack.json` says: this process, since when, where each server listens, and
        the pid of each service and embedded server."""
        assert self.supervisor is not None
        servers = {
            "postgres": self.postgres.pid() if self.postgres is not None else None,
            "broker": self.broker.pid if self.broker is not None else None,
        }
        return {
            "pid": os.getpid(),
            "started_at": self.started_at.isoformat(timespec="seconds"),
            "database_url": self.settings.database_url,
            "postgres_port": self.settings.postgres_port,
            "kafka_bootstrap": self.settings.kafka_bootstrap,
            "gateway_url": self.settings.gateway_url,
            "services": self.supervisor.pids(),
            "servers": {name: pid for name, pid in servers.items() if pid is not None},
        }

    def keep_record(self) -> None:
        """Write `stack.json` again when a pid changed (something was started again)."""
        record = self.record()
        if record != self._recorded:
            replace_private(self.data_dir / STACK_FILE, json.dumps(record, indent=2).encode())
            self._recorded = record

    def watch(self) -> None:
        """Until stopped, start again whatever dies: services, and the embedded servers."""
        assert self.supervisor is not None
        self.supervisor.watch(self.keep_up)

    def keep_up(self) -> None:
        self.keep_servers_up()
        self.keep_record()

    def keep_servers_up(self) -> None:
        """Start an embedded server again if it died. The services need nothing more: they
        are crash-only, and the relay republishes the event store into an emptied broker."""
        try:
            if self.postgres is not None and not self.postgres.alive():
                log.warning("embedded postgres is not running; starting it again")
                self.postgres.start()  # the same data and socket: the same URL
            if self.broker is not None and not self.broker.alive():
                log.warning("embedded broker is not running; starting it again, empty")
                self.broker.start()
                self.options.on_broker_start(self.settings)
        except Exception:
            # Whatever went wrong, stopping the whole platform would be worse: try again.
            log.exception("could not start an embedded server; trying again")

    def _start_postgres(self) -> str:
        assert self.postgres is not None
        return self.postgres.start()

    def _start_broker(self) -> str:
        assert self.broker is not None
        return self.broker.start()

    def forget(self) -> None:
        """Remove what says a stack runs here, and what describes its run."""
        for name in (STACK_FILE, *self.options.run_files):
            (self.data_dir / name).unlink(missing_ok=True)

    def close(self) -> None:
        self.forget()
        if self.supervisor is not None:
            self.supervisor.stop()
        if self.broker is not None:
            self.broker.stop()
        if self.postgres is not None:
            self.postgres.stop()


def run(options: StackOptions, settings: Settings, announce: Callable[[str], None]) -> None:
    """Start the stack, announce it, run `on_ready`, and run until Ctrl-C or SIGTERM."""
    # Also SIGINT: a shell without job control starts background commands with it ignored.
    signal.signal(signal.SIGTERM, _raise_interrupt)
    signal.signal(signal.SIGINT, _raise_interrupt)
    lock = lock_data_dir(options.data_dir.resolve())
    stack = Stack(options, settings)
    stop = threading.Event()
    try:
        running = stack.start()
        announce(banner(running, stack))
        if options.on_ready is not None:
            threading.Thread(target=options.on_ready, args=(running, stop), daemon=True).start()
        stack.watch()
    except KeyboardInterrupt:
        announce("stopping…")
    finally:
        stop.set()
        stack.close()
        os.close(lock)  # last: `tandem down` waits for this
        announce("stopped")


def lock_data_dir(data_dir: Path) -> int:
    """Make the data directory (only its owner may enter: the embedded servers' data, logs,
    where everything listens) and hold it for this process's life, or say who holds it."""
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    data_dir.chmod(0o700)
    try:
        return hold(data_dir)
    except StackRunning as exc:
        raise RuntimeError(already_running(exc)) from None


def already_running(exc: StackRunning) -> str:
    record = running_stack(exc.data_dir)
    if record is None:
        where = f"a stack is starting from {exc.data_dir} (tandem up pid {exc.pid})"
    else:
        where = (
            f"a stack already runs from {exc.data_dir}: gateway {record['gateway_url']},"
            f" tandem up pid {record['pid']}, since {record['started_at']}"
        )
    return f"{where}. `tandem status` shows it; `tandem down` stops it"


def banner(settings: Settings, stack: Stack) -> str:
    lines = [
        "Tandem is ready.",
        f"  gateway     {settings.gateway_url}   (API docs: {settings.gateway_url}/docs)",
        f"  database    {settings.database_url}",
        *[
            f"              and 127.0.0.1:{port} over TCP (password logins only)"
            for port in [settings.postgres_port]
            if port is not None
        ],
        f"  broker      {settings.kafka_bootstrap}",
        f"  logs        {stack.data_dir / 'logs'}/",
        "  dashboards  dashboards/json/ and infra/grafana/provisioning/ for a Grafana to mount,"
        " or `tandem dashboards push --url URL --token TOKEN`",
        f"  data        {stack.data_dir}/   (kept between runs)",
    ]
    if steps := stack.options.next_steps:
        width = max(len(command) for command, _ in steps)
        lines += ["Try next:", *(f"  {command:<{width}}   # {what}" for command, what in steps)]
    lines.append("Press Ctrl-C to stop (or `tandem down` from another terminal).")
    return "\n".join(lines)
