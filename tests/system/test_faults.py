"""The fault suite (`make faults`): one `tandem up` under a steady stream of events, and in turn
each fault of tests/support/fault_injection.py; after each, with the stack recovered, nothing
that got a 202 is lost or doubled and the figures are those of a run with no fault
(tests/support/fault_drill.py). The recovery times are printed at the end; `make bench` puts
them in bench/results.md."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from services.sharing.agreements import Terms
from tests.support.fault_drill import FaultDrill, fault_drill
from tests.support.fault_injection import FAULTS, Fault

pytestmark = pytest.mark.faults

TODAY = datetime.now(UTC).date()
# Agreed in the middle of the broker-restart drill: after the broker loses its log the router
# reads every event again, and must not apply this agreement to those accepted before it.
MID_STREAM = Terms(
    "kingston-foodbank",
    "age-uk-kingston",
    ("resilience.stock.distributed.v1",),
    ("hub_id", "item", "quantity"),
    "Age UK plans deliveries from what the hubs hand out",
    False,
    TODAY - timedelta(days=1),
    TODAY + timedelta(days=90),
)


@pytest.fixture(scope="module")
def drill(
    tmp_path_factory: pytest.TempPathFactory,
    server_url: str,
    template_db: str,
    pytestconfig: pytest.Config,
) -> Iterator[FaultDrill]:
    out = tmp_path_factory.mktemp("faults") / "tandem-up.log"
    with fault_drill(out, server_url, template_db) as drill:
        yield drill
    capture = pytestconfig.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled():
        print()
        for r in drill.recoveries:
            print(
                f"recovery after {r.fault.what}: {r.seconds:.1f} s (202s again after"
                f" {r.ingest_gap:.1f} s; {r.stored_at_fault:,} events stored;"
                f" {r.duplicates} re-sent events found stored;"
                f" {r.lost_with_broker} acknowledged events lost with the broker's log)"
            )


@pytest.mark.parametrize("fault", FAULTS, ids=[fault.name for fault in FAULTS])
def test_after_the_fault_every_202_is_archived_once_and_the_figures_are_right(
    drill: FaultDrill, fault: Fault
) -> None:
    mid_stream = MID_STREAM if fault.name == "broker" else None
    drill.run(fault, mid_stream)  # which checks that nothing was lost or doubled
    if mid_stream is not None:
        drill.check_agreed_mid_stream()
