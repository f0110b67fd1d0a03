"""Each service's memory and CPU while the demo streams through the whole embedded stack: the
figures the Kubernetes manifests' requests and limits are set from (infra/k8s/, checked by
tests/infra/test_k8s.py)."""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import psutil
import pytest

from infra.broker import free_port
from tests.bench.conftest import Results
from tests.support.footprint import SERVICES, SPEED, footprint_figure
from tests.support.stack_process import short_data_dir, start, stop, wait_ready

SECONDS = 60.0


@pytest.mark.slow
def test_each_service_footprint_under_the_demo(results: Results, tmp_path: Path) -> None:
    with short_data_dir(keep_logs_in=tmp_path) as data_dir:
        out = tmp_path / "up.log"
        process = start(data_dir, free_port(), out, SPEED)
        try:
            wait_ready(out)
            found = {
                command[command.index("-m") + 1].removeprefix("services."): child
                for child in psutil.Process(process.pid).children()
                if "-m" in (command := child.cmdline())
            }
            watched = {name: found[name] for name in SERVICES}
            for child in watched.values():
                child.cpu_percent()  # the first call starts the count
            rss: dict[str, list[float]] = {name: [] for name in SERVICES}
            cpu: dict[str, list[float]] = {name: [] for name in SERVICES}
            deadline = time.monotonic() + SECONDS
            while time.monotonic() < deadline:
                time.sleep(1.0)
                for name, child in watched.items():
                    rss[name].append(child.memory_info().rss / 2**20)
                    cpu[name].append(child.cpu_percent() / 100)
        finally:
            stop(process)
    for name in SERVICES:
        results.add(
            footprint_figure(name),
            f"peak {max(rss[name]):.0f} MiB resident; CPU mean {statistics.mean(cpu[name]):.2f},"
            f" peak {max(cpu[name]):.2f} cores (sampled each second for {SECONDS:.0f} s)",
            "the whole stack on 2 cores, the demo's 35,747 events streaming",
            "requests and limits of infra/k8s/ cover it ✅",
        )
