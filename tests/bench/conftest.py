"""Benchmarks (`make bench`): each figure is measured beside its anchor in the same run, and
all of them land in one table, `bench/results.md`, with the machine described."""

from __future__ import annotations

import os
import platform
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest

from services.settings import Settings
from tests.support import servers

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


Row = tuple[str, ...]


def kept_rows(text: str) -> list[Row]:
    """The rows of an earlier results table."""
    rows = [line.strip("| ").split(" | ") for line in text.splitlines() if line.startswith("| ")]
    return [tuple(row) for row in rows[1:] if len(row) == 4]


def merged(
    earlier: list[tuple[str, ...]], measured: list[tuple[str, ...]]
) -> list[tuple[str, ...]]:
    """Earlier rows with those measured again replaced in place, then the new ones."""
    fresh = {row[0]: row for row in measured}
    rows = [fresh.pop(row[0], row) for row in earlier]
    return rows + [row for row in measured if row[0] in fresh]


@pytest.fixture(scope="session")
def results() -> Iterator[Results]:
    collected = Results()
    yield collected
    if not collected.rows:
        return
    # A partial run (one benchmark file, `make load`) replaces only the rows it measured.
    earlier = kept_rows(RESULTS.read_text()) if RESULTS.exists() else []
    rows = merged(earlier, list(collected.rows))
    lines = [
        "# Benchmark results",
        "",
        f"Latest run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine()}: it measured "
        f"{len(collected.rows)} of these {len(rows)} rows; the others are kept from earlier runs "
        "(`make bench` measures them all).",
        "Each figure stands beside its anchor, measured in the same run.",
        "",
        "| figure | measured | anchor (same run) | target |",
        "|---|---|---|---|",
        *(f"| {' | '.join(row)} |" for row in rows),
        "",
    ]
    RESULTS.write_text("\n".join(lines))


@contextmanager
def gateway_process(settings: Settings, log: Path) -> Iterator[str]:
    """The gateway as its own process, logging warnings only (a benchmark's requests are many)."""
    with servers.gateway_process(settings.model_copy(update={"log_level": "WARNING"}), log) as url:
        yield url
