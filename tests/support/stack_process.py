"""`tandem up` run as a user runs it, and its parts as a fault finds them: each service's
current process (the supervisor replaces dead ones), the embedded broker and PostgreSQL."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psutil

from infra.postgres import EmbeddedPostgres
from services.settings import STACK_FILE, Settings
from tests.support.servers import TANDEM, wait_for

READY_SECONDS = 90.0


def start(
    data_dir: Path, port: int, out: Path, demo_speed: float | None = None, *more: str
) -> subprocess.Popen[bytes]:
    """`tandem up --no-demo` (or with the demo at `demo_speed`) with its own embedded servers,
    whatever this session uses, and `more` options."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "KAFKA_BOOTSTRAP")}
    demo = ("--no-demo",) if demo_speed is None else ("--demo-speed", str(demo_speed))
    return subprocess.Popen(
        [TANDEM, "up", *demo, "--data-dir", str(data_dir), "--port", str(port), *more],
        stdout=out.open("wb"),
        stderr=subprocess.STDOUT,
        env=env,
    )


def stop(process: subprocess.Popen[bytes]) -> float:
    """Stop it as Ctrl-C would; return how long that took."""
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    process.wait(15)
    return time.monotonic() - started


def wait_ready(out: Path) -> None:
    wait_for(lambda: "Tandem is ready." in out.read_text(), READY_SECONDS, "tandem up ready")


@contextmanager
def short_data_dir(keep_logs_in: Path, name: str = "data") -> Iterator[Path]:
    """A data directory `name` with a short path (PostgreSQL's socket lives in it), removed
    after use: its services' logs are kept in `keep_logs_in` (pytest's own, rotated, temp
    folder)."""
    data_dir = Path(tempfile.mkdtemp(prefix="tandem-up-")) / name
    try:
        yield data_dir
    finally:
        if (data_dir / "logs").is_dir():
            shutil.copytree(data_dir / "logs", keep_logs_in / "logs", dirs_exist_ok=True)
        shutil.rmtree(data_dir.parent, ignore_errors=True)


@dataclass(frozen=True)
class StackProcess:
    """A running `tandem up` and what it recorded in its data directory."""

    process: subprocess.Popen[bytes]
    data_dir: Path
    ready_after: float  # seconds from `tandem up` to "Tandem is ready."

    @classmethod
    @contextmanager
    def up(cls, port: int, out: Path) -> Iterator[StackProcess]:
        """`tandem up` until the block ends; its output in `out`, its logs beside it."""
        with short_data_dir(keep_logs_in=out.parent) as data_dir:
            started = time.monotonic()
            stack = cls(start(data_dir, port, out), data_dir, 0.0)
            try:
                wait_ready(out)
                yield cls(stack.process, data_dir, time.monotonic() - started)
            finally:
                stack.down()

    def down(self) -> None:
        """Stop it; and if it was killed, stop the PostgreSQL it left behind."""
        if self.process.poll() is None:
            stop(self.process)
        EmbeddedPostgres(self.pgdata).stop()

    @property
    def pgdata(self) -> Path:
        return self.data_dir / "pg"

    def settings(self) -> Settings:
        """Settings that reach this stack, as its `stack.json` says."""
        recorded = json.loads((self.data_dir / STACK_FILE).read_text())
        return Settings(
            data_dir=self.data_dir,
            database_url=recorded["database_url"],
            kafka_bootstrap=recorded["kafka_bootstrap"],
            gateway_url=recorded["gateway_url"],
            topic_prefix="",
        )

    def children(self) -> list[psutil.Process]:
        alive = []
        for child in psutil.Process(self.process.pid).children():
            try:
                if child.status() != psutil.STATUS_ZOMBIE:
                    alive.append(child)
            except psutil.NoSuchProcess:
                continue
        return alive

    def services(self) -> dict[str, psutil.Process]:
        """Each service's live process, by name (`python -m services.NAME`)."""
        found = {}
        for child in self.children():
            try:
                command = child.cmdline()
            except psutil.NoSuchProcess:
                continue
            if "-m" in command:
                module = command[command.index("-m") + 1]
                found[module.removeprefix("services.")] = child
        return found

    def broker(self) -> psutil.Process:
        return next(child for child in self.children() if child.name().startswith("tansu"))

    def postmaster(self) -> psutil.Process | None:
        pid_file = self.pgdata / "postmaster.pid"
        try:
            pid = int(pid_file.read_text().split()[0])
            return psutil.Process(pid)
        except (FileNotFoundError, IndexError, ValueError, psutil.NoSuchProcess):
            return None


def running_with(text: str) -> list[int]:
    """Live processes whose command line mentions `text` (a leftover server, say)."""
    found = []
    for process in psutil.process_iter():
        try:
            if process.status() != psutil.STATUS_ZOMBIE and text in " ".join(process.cmdline()):
                found.append(process.pid)
        except psutil.Error:
            continue
    return found
