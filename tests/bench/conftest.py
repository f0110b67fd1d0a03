"""Benchmarks (`make bench`): each figure is measured beside its anchor in the same run, and
all of them land in one table, `bench/results.md`, with the machine described."""

from __future__ import annotations

import os
import platform
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest

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
