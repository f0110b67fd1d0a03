"""Benchmarks (`make bench`): each figure is measured beside its anchor in the same run, and
all of them land in one table, `bench/results.md`, with the machine described."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from infra.broker import free_port
from services.settings import Settings
from tests.servers import wait_for

RESULTS = Path(__file__).resolve().parents[2] / "bench" / "results.md"


@dataclass
class Results:
    rows: list[tuple[str, str, str, str]] = field(default_factory=list)

    def add(self, figure: str, value: str, anchor: str, verdict: str) -> None:
        self.rows.append((figure, value, anchor, verdict))
        print(f"\n{figure}: {value} | {anchor} | {verdict}")


def machine() -> str:
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"{memory:.0f} GiB, Python {platform.python_version()}, {platform.system()} "
        f"{platform.release()}"
    )


@pytest.fixture(scope="session")
def results() -> Iterator[Results]:
    collected = Results()
    yield collected
    if not collected.rows:
        return
    lines = [
        "# Benchmark results",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine()}, by `make bench`.",
        "Each figure stands beside its anchor, measured in the same run.",
        "",
        "| figure | measured | anchor (same run) | target |",
        "|---|---|---|---|",
        *(f"| {a} | {b} | {c} | {d} |" for a, b, c, d in collected.rows),
        "",
    ]
    RESULTS.write_text("\n".join(lines))


@contextmanager
def gateway_process(settings: Settings, log: Path) -> Iterator[str]:
    """The gateway as its own process, as `tandem up` runs it; yields its URL."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": str(settings.database_url),
        "KAFKA_BOOTSTRAP": str(settings.kafka_bootstrap),
        "TANDEM_LOG_LEVEL": "WARNING",
    }
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "services.gateway", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"

        def ready() -> bool:
            try:
                return httpx.get(f"{url}/healthz").status_code == 200
            except httpx.TransportError:
                return False

        wait_for(ready, 30, "gateway")
        try:
            yield url
        finally:
            process.terminate()
            process.wait(10)
