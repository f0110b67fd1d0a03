"""Recovery time per fault of the fault suite (tests/support/fault_drill.py), under a steady
stream, beside a cold start of the same stack measured in the same run."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.bench.conftest import Results
from tests.support.fault_drill import RATE, fault_drill
from tests.support.fault_injection import FAULTS


@pytest.mark.slow
def test_recovery_time_per_fault(
    results: Results, tmp_path: Path, server_url: str, template_db: str
) -> None:
    with fault_drill(tmp_path / "tandem-up.log", server_url, template_db) as drill:
        for fault in FAULTS:
            r = drill.run(fault)  # which checks that nothing was lost or doubled
            lost = (
                f"; {r.lost_with_broker} messages the broker had acknowledged to a Kafka"
                " producer lost with its log"
                if fault.loses_broker_log
                else ""
            )
            results.add(
                f"recovery after: {fault.what}, under {RATE:,.0f} events/s",
                f"{r.seconds:.1f} s (202s again after {r.ingest_gap:.1f} s;"
                f" {r.stored_at_fault:,} events stored{lost})",
                f"`tandem up` from cold to ready: {drill.stack.ready_after:.1f} s",
                "every 202 archived once, figures equal a run with no fault ✅",
            )
