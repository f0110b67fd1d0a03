"""The aggregator as it runs: faust workers as processes, reading the real broker, writing
real PostgreSQL. Its figures must equal those of the same events applied directly, whatever
happens to the workers."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg

from infra.broker import EmbeddedBroker
from services.figures.writer import apply_batch
from services.settings import Settings
from services.simulate import build
from services.streaming.topics import ensure_topics
from tests.support.events_store import insert_events
from tests.support.figures_tables import snapshot
from tests.support.servers import service_process, wait_for
from tests.support.topics import produce

EVENTS = build("kingston-2020").events[:8000]


def expected_figures(new_database: Callable[[], str]) -> dict[str, list[tuple[Any, ...]]]:
    with psycopg.connect(new_database()) as conn:
        apply_batch(conn, "live", EVENTS)
        conn.commit()
        return snapshot(conn)


def counted(database_url: str) -> int:
    with psycopg.connect(database_url) as conn:
        row = conn.execute("SELECT count(*) FROM counted_events").fetchone()
        return int(row[0]) if row else 0


def figures(database_url: str) -> dict[str, list[tuple[Any, ...]]]:
    with psycopg.connect(database_url) as conn:
        return snapshot(conn)


def test_a_worker_killed_mid_stream_and_restarted_misses_and_doubles_nothing(
    settings: Settings, new_database: Callable[[], str], tmp_path: Path
) -> None:
    ensure_topics(settings)
    url = str(settings.database_url)
    with service_process("services.aggregator", settings, tmp_path / "a1.log") as worker:
        feeder = threading.Thread(
            target=lambda: [produce(settings, EVENTS[i : i + 500]) for i in range(0, 8000, 500)]
        )
        feeder.start()
        wait_for(lambda: counted(url) > 1000, 60, "the aggregator to count some events")
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
        feeder.join()
    assert counted(url) < len(EVENTS)
    with service_process("services.aggregator", settings, tmp_path / "a2.log"):
        wait_for(lambda: counted(url) == len(EVENTS), 90, "every event counted")
    assert figures(url) == expected_figures(new_database)


def test_two_workers_share_the_partitions_and_give_the_same_figures(
    settings: Settings, new_database: Callable[[], str], tmp_path: Path
) -> None:
    ensure_topics(settings)
    url = str(settings.database_url)
    with (
        service_process("services.aggregator", settings, tmp_path / "w1.log"),
        service_process("services.aggregator", settings, tmp_path / "w2.log"),
    ):
        produce(settings, EVENTS)
        wait_for(lambda: counted(url) == len(EVENTS), 90, "every event counted")
    assert figures(url) == expected_figures(new_database)
    for log in ("w1.log", "w2.log"):
        assert "reading partition" in (tmp_path / log).read_text()  # both did part of the work


def test_after_the_broker_loses_its_log_every_stored_event_is_counted_once(
    settings: Settings, new_database: Callable[[], str], tmp_path: Path
) -> None:
    """Relay and aggregator keep running while the memory-only broker restarts empty."""
    broker = EmbeddedBroker(log_file=tmp_path / "broker.log")
    own = settings.model_copy(update={"kafka_bootstrap": broker.start()})
    ensure_topics(own)
    url = str(own.database_url)
    first, second = EVENTS[:3000], EVENTS[3000:5000]
    try:
        with (
            service_process("services.relay", own, tmp_path / "relay.log"),
            service_process("services.aggregator", own, tmp_path / "aggregator.log"),
        ):
            with psycopg.connect(url) as conn:
                insert_events(conn, first)
                conn.commit()
                wait_for(lambda: counted(url) == len(first), 90, "the first events counted")
                broker.stop()
                broker.start()  # same port, nothing in it
                insert_events(conn, second)
                conn.commit()
            wait_for(lambda: counted(url) == len(first) + len(second), 120, "all counted")
    finally:
        broker.stop()
    with psycopg.connect(new_database()) as conn:
        apply_batch(conn, "live", first + second)
        conn.commit()
        expected = snapshot(conn)
    assert figures(url) == expected
