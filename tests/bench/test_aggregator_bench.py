"""Aggregator throughput, topic to committed figures, beside a bare consumer and a naive faust
agent measured on the same topic in the same run."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path

import psycopg
import pytest
from aiokafka import AIOKafkaConsumer

from services.settings import Settings
from services.streaming.topics import ACCEPTED, ensure_topics
from tests.bench.conftest import Results
from tests.support.figures_tables import FIGURES_TABLES
from tests.support.servers import service_process, wait_for
from tests.support.topics import produce
from tests.support.workload import incident_copies

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]

COPIES = 3  # about 107,000 events


AGENT_RATIO = 0.8
"""The aggregator's target: this share of a do-nothing faust agent's rate, in the same run."""


def bare_consumer_rate(settings: Settings, count: int) -> float:
    async def consume() -> float:
        consumer = AIOKafkaConsumer(
            settings.topic(ACCEPTED),
            bootstrap_servers=settings.kafka_bootstrap,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
        )
        await consumer.start()
        seen, started = 0, time.perf_counter()
        try:
            while seen < count:
                batch = await consumer.getmany(timeout_ms=1000, max_records=10_000)
                seen += sum(len(records) for records in batch.values())
            return count / (time.perf_counter() - started)
        finally:
            await consumer.stop()

    return asyncio.run(consume())


def faust_rate(mode: str, settings: Settings, count: int, datadir: Path) -> float:
    topic = settings.topic(ACCEPTED)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.bench.naive_faust",
            mode,
            str(settings.kafka_bootstrap),
            topic,
            str(settings.topic_partitions),
            str(count),
            str(datadir),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    return float(done.stdout.strip().splitlines()[-1])


def counted(database_url: str) -> int:
    with psycopg.connect(database_url) as conn:
        row = conn.execute("SELECT count(*) FROM counted_events").fetchone()
        return int(row[0]) if row else 0


def loaded_topic(settings: Settings, name: str, events: list[dict[str, object]]) -> Settings:
    """Settings whose topics (and so faust group) are new, holding `events`."""
    own = settings.model_copy(update={"topic_prefix": f"{settings.topic_prefix}{name}."})
    ensure_topics(own)
    produce(own, events)
    return own


def aggregator_rate(settings: Settings, count: int, workers: int, logs: Path) -> float:
    """Events per second from the first committed batch to the last."""
    url = str(settings.database_url)
    with psycopg.connect(url) as conn:
        conn.execute(f"TRUNCATE {', '.join(FIGURES_TABLES)}")
    with ExitStack() as stack:
        processes = [
            stack.enter_context(
                service_process("services.aggregator", settings, logs / f"agg-{workers}-{n}.log")
            )
            for n in range(workers)
        ]

        def reached(target: int) -> bool:
            assert all(p.poll() is None for p in processes), "an aggregator died: see its log"
            return counted(url) >= target

        wait_for(lambda: reached(1), 120, "first batch")
        started = time.perf_counter()
        wait_for(lambda: reached(count), 600, "every event counted")
        return count / (time.perf_counter() - started)


def test_aggregator_throughput(settings: Settings, results: Results, tmp_path: Path) -> None:
    events = incident_copies(COPIES)
    anchor_topic = loaded_topic(settings, "anchors", events)
    bare = bare_consumer_rate(anchor_topic, len(events))
    naive = faust_rate("table", anchor_topic, len(events) // 4, tmp_path / "naive")
    take = faust_rate("take", anchor_topic, len(events), tmp_path / "take")
    one = aggregator_rate(loaded_topic(settings, "one", events), len(events), 1, tmp_path)
    two = aggregator_rate(loaded_topic(settings, "two", events), len(events), 2, tmp_path)
    anchors = (
        f"bare aiokafka consumer {bare:,.0f}/s; naive faust table agent {naive:,.0f}/s;"
        f" faust take_events agent doing nothing {take:,.0f}/s (one process)"
    )
    # faust's own per-record path is the ceiling on two cores: the aggregator is judged by how
    # close it comes to a faust agent that takes every event and does nothing with it.
    for label, rate in (("1 worker", one), ("2 workers", two)):
        results.add(
            f"aggregator, topic → committed figures ({label})",
            f"{rate:,.0f} events/s ({rate / take:.2f}× the agent doing nothing;"
            f" {rate / naive:.1f}× naive faust)",
            anchors,
            f"≥ {AGENT_RATIO}× a faust agent doing nothing "
            + ("✅" if rate >= AGENT_RATIO * take else "❌"),
        )
