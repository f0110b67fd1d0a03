"""What runs from a data directory, as `tandem status` shows it, and stopping it (`tandem down`).

Read from what the running `tandem up` recorded (`stack.json`, `demo.json`) and from the
processes themselves: a pid recorded is checked, not trusted.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psutil

from infra.stack_lock import holder
from services.settings import held, running_stack
from services.simulate.demo_progress import read_progress

DOWN_SECONDS = 60.0


def alive(pid: int) -> bool:
    try:
        return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return False
    except psutil.AccessDenied:
        return True  # it exists; another user's (the embedded PostgreSQL's, run as root)


def without_password(url: str) -> str:
    parts = urlsplit(url)
    if not parts.password:
        return url
    return parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@")).geturl()


def stack_status(data_dir: Path) -> dict[str, Any] | None:
    """The stack running from `data_dir`: since when, where each server listens, each process
    with its pid and whether it is alive, the demo's progress. None when none runs."""
    record = running_stack(data_dir)
    if record is None:
        return None

    def processes(pids: dict[str, int]) -> dict[str, dict[str, Any]]:
        return {name: {"pid": pid, "alive": alive(pid)} for name, pid in pids.items()}

    database_url = record["database_url"]
    return {
        "data_dir": str(data_dir),
        "pid": record["pid"],
        "alive": alive(record["pid"]),
        "started_at": record["started_at"],
        "gateway_url": record["gateway_url"],
        "database_url": without_password(database_url) if database_url else None,
        "kafka_bootstrap": record["kafka_bootstrap"],
        "services": processes(record["services"]),
        "servers": processes(record["servers"]),
        "demo": read_progress(data_dir),
    }


def describe(status: dict[str, Any]) -> list[str]:
    """`stack_status` in lines for a terminal."""
    started = datetime.fromisoformat(status["started_at"])
    minutes = int((datetime.now(UTC) - started).total_seconds() // 60)
    lines = [
        f"stack     runs from {status['data_dir']} since {started:%Y-%m-%d %H:%M:%S} UTC"
        f" ({minutes} min), tandem up pid {status['pid']}",
        f"gateway   {status['gateway_url']}",
        f"database  {status['database_url']}",
        f"broker    {status['kafka_bootstrap']}",
    ]
    for kind in ("services", "servers"):
        for name, process in status[kind].items():
            state = "alive" if process["alive"] else "NOT RUNNING"
            lines.append(f"{kind[:-1]:<9} {name:<11} pid {process['pid']:<7} {state}")
    demo = status["demo"]
    if demo is not None:
        done = "finished: " if demo["finished"] else ""
        lines.append(
            f"demo      {demo['incident']}: {done}{demo['sent']:,} of {demo['total']:,} events"
            f" sent ({demo['sent'] / demo['total']:.0%})"
        )
    return lines


def stop_stack(
    data_dir: Path, stopping: Callable[[int], None], timeout: float = DOWN_SECONDS
) -> int | None:
    """Stop the `tandem up` running from `data_dir` as Ctrl-C in its terminal would (telling
    `stopping` its pid), and wait until it and everything it started have ended; return its
    pid, or None when none runs."""
    pid = holder(data_dir)
    if pid is None:
        return None
    stopping(pid)
    record = running_stack(data_dir) or {"services": {}, "servers": {}}
    started = [pid, *record["services"].values(), *record["servers"].values()]
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return pid
    # It lets go of the data directory last, once its services and servers have stopped;
    # a server may take a moment more to be gone.
    deadline = time.monotonic() + timeout
    while held(data_dir) or any(alive(started_pid) for started_pid in started):
        if time.monotonic() > deadline:
            raise TimeoutError(f"tandem up (pid {pid}) still running after {timeout:g} s")
        time.sleep(0.1)
    return pid
