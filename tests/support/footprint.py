"""How the footprint benchmark names its rows in bench/results.md, for the benchmark that writes
them and the Kubernetes manifests' test that sets requests and limits against them."""

from __future__ import annotations

SPEED = 36_000.0
SERVICES = (
    "gateway",
    "relay",
    "archiver",
    "inbound",
    "aggregator",
    "router",
    "webhooks",
    "editions",
)


def footprint_figure(service: str) -> str:
    """The results row of a service's footprint while the demo streams at SPEED."""
    return f"footprint: {service}, the demo streaming at {SPEED:,.0f}×"
