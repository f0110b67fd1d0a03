"""Runs each service as its own process, restarts it when it dies, stops them all cleanly.

Children live in their own session, so Ctrl-C reaches only the supervisor, which then stops
them in order; they also die with the supervisor if it is killed (PR_SET_PDEATHSIG).
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from infra.broker import die_with_parent
from services.logs import open_private

log = logging.getLogger(__name__)

MAX_BACKOFF = 10.0
STOP_SECONDS = 5.0


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    module: str
    args: tuple[str, ...] = ()


@dataclass
class _Running:
    spec: ServiceSpec
    process: subprocess.Popen[bytes]
    log_file: IO[bytes]
    started: float
    restarts: int = 0
    backoff: float = 1.0
    next_start: float | None = None


@dataclass
class Supervisor:
    log_dir: Path
    env: dict[str, str]
    _running: dict[str, _Running] = field(default_factory=dict)
    _stopping: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self, spec: ServiceSpec) -> None:
        log_file = open_private(self.log_dir / f"{spec.name}.log")
        process = self._spawn(spec, log_file)
        with self._lock:
            self._running[spec.name] = _Running(spec, process, log_file, time.monotonic())
        log.info("service started", extra={"child": spec.name, "pid": process.pid})

    def _spawn(self, spec: ServiceSpec, log_file: IO[bytes]) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [sys.executable, "-m", spec.module, *spec.args],
            env={**os.environ, **self.env},
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=die_with_parent,
        )

    def pids(self) -> dict[str, int]:
        with self._lock:
            return {name: r.process.pid for name, r in self._running.items()}

    def watch(self, each_round: Callable[[], None] = lambda: None) -> None:
        """Restart services that die, with backoff, until `stop` is called; `each_round` runs
        first in every round (the stack keeps its embedded servers up with it)."""
        while not self._stopping.wait(0.2):
            each_round()
            with self._lock:
                for running in self._running.values():
                    self._check(running)

    def _check(self, running: _Running) -> None:
        now = time.monotonic()
        if running.next_start is not None:
            if now >= running.next_start:
                running.process = self._spawn(running.spec, running.log_file)
                running.started, running.next_start = now, None
                running.restarts += 1
            return
        code = running.process.poll()
        if code is None:
            if now - running.started > 30:
                running.backoff = 1.0
            return
        log.warning(
            "service died; restarting",
            extra={"child": running.spec.name, "exit_code": code, "in_s": running.backoff},
        )
        running.next_start = now + running.backoff
        running.backoff = min(running.backoff * 2, MAX_BACKOFF)

    def stop(self) -> None:
        """Stop every service: SIGTERM, then SIGKILL whatever is still there after a while."""
        self._stopping.set()
        with self._lock:
            running = list(self._running.values())
            self._running.clear()
        for r in reversed(running):
            if r.process.poll() is None:
                r.process.terminate()
        deadline = time.monotonic() + STOP_SECONDS
        for r in running:
            try:
                r.process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                r.process.kill()
                r.process.wait()
            r.log_file.close()
