"""Prometheus metrics of the gateway (labels carry partner ids, never tokens or people)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

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
