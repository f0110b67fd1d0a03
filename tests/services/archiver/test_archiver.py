from __future__ import annotations

import psycopg

from services.archiver.archive import write_archive
from services.settings import Settings
from services.streaming.kafka_transport import BatchConsumer
from services.streaming.topics import ACCEPTED, ensure_topics
from tests.support.events_store import sample_event
from tests.support.servers import wait_for
from tests.support.topics import produce


def archived(conn: psycopg.Connection[tuple[object, ...]]) -> list[str]:
    rows = conn.execute("SELECT id FROM archive ORDER BY id").fetchall()
    conn.commit()
    return [str(r[0]) for r in rows]


def drain(consumer: BatchConsumer, conn: psycopg.Connection[tuple[object, ...]], n: int) -> None:
    wait_for(
        lambda: consumer.poll_once(timeout_ms=200) >= 0 and len(archived(conn)) >= n,
        what=f"{n} archived events",
    )


def test_archiver_stores_each_event_once_and_resumes_from_its_own_positions(
    settings: Settings,
) -> None:
    ensure_topics(settings)
    events = [sample_event(n) for n in range(40)]
    produce(settings, events[:30])
    with psycopg.connect(settings.database_url) as conn:
        consumer = BatchConsumer(settings, conn, "archiver", ACCEPTED, write_archive)
        drain(consumer, conn, 30)
        consumer.close()
        row = conn.execute("SELECT incident, time, type FROM archive WHERE id = 'e-3'").fetchone()
        conn.commit()
        assert row is not None and row[0] == "covid-2020" and row[2].endswith("received.v1")
        produce(settings, events[30:] + events[:5])  # five re-sent duplicates
        again = BatchConsumer(settings, conn, "archiver", ACCEPTED, write_archive)
        drain(again, conn, 40)
        again.close()
        assert archived(conn) == sorted(str(e["id"]) for e in events)
        positions = conn.execute(
            "SELECT sum(next_offset) FROM consumer_offsets WHERE consumer = 'archiver'"
        ).fetchone()
        assert positions is not None and positions[0] == 45


def test_archiver_reads_a_replaced_log_again_from_the_start(settings: Settings) -> None:
    """Records from a newer broker epoch mean our offsets belong to a lost log: re-read from 0."""
    ensure_topics(settings)
    produce(settings, [sample_event(n) for n in range(10)])
    with psycopg.connect(settings.database_url) as conn:
        consumer = BatchConsumer(settings, conn, "archiver", ACCEPTED, write_archive)
        drain(consumer, conn, 10)
        # The new log (epoch 1) re-publishes events; one is new and sits at an offset the old
        # position had already passed.
        produce(settings, [sample_event(n) for n in range(10, 11)], epoch=1)
        conn.execute("UPDATE broker_epoch SET epoch = 1")
        conn.commit()
        drain(consumer, conn, 11)
        consumer.close()
        epochs = conn.execute("SELECT DISTINCT epoch FROM consumer_offsets").fetchall()
        assert 1 in {r[0] for r in epochs}
