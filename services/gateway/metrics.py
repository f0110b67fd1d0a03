"""Prometheus metrics of the gateway (labels carry partner ids, never tokens or people)."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import REGISTRY, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from services.streaming.completeness import Completeness

EVENTS_ACCEPTED = Counter("tandem_events_accepted_total", "Events made durable", ["partner"])
EVENTS_DUPLICATE = Counter(
    "tandem_events_duplicate_total", "Events already in the store", ["partner"]
)
REQUESTS_REJECTED = Counter(
    "tandem_requests_rejected_total", "Requests refused, by HTTP status", ["status"]
)
STORE_WAITING = Gauge("tandem_store_waiting_events", "Events waiting for the store's commit")
INGEST_SECONDS = Histogram(
    "tandem_ingest_seconds",
    "Time from request to durable 202",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)


class CompletenessCollector(Collector):
    """The reconciler's last findings, read from PostgreSQL when `/metrics` is scraped."""

    def __init__(self) -> None:
        self.latest: Completeness | None = None

    def collect(self) -> Iterator[Metric]:
        found = self.latest
        if found is None:
            return
        yield GaugeMetricFamily(
            "tandem_events_uncounted",
            "Events stored but not yet in every consumer (archive, figures, router)",
            value=found.uncounted,
        )
        yield GaugeMetricFamily(
            "tandem_events_uncounted_oldest_seconds",
            "Age of the oldest event stored but not yet in every consumer",
            value=found.oldest_uncounted_seconds,
        )
        yield GaugeMetricFamily(
            "tandem_events_repairing",
            "Events published again by the reconciler within its bound",
            value=found.repairing,
        )
        yield CounterMetricFamily(
            "tandem_events_republished",
            "Events the reconciler found missing downstream and published again",
            value=found.repairs_total,
        )
        yield CounterMetricFamily(
            "tandem_relay_resent",
            "Records the relay sent again: acknowledged by the broker but not held",
            value=found.unconfirmed_total,
        )


COMPLETENESS = CompletenessCollector()
REGISTRY.register(COMPLETENESS)
