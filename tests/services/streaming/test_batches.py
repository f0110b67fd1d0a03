"""The batch contract both transports share (services/streaming/batches.py, positions.py): a
writer's effects and the positions they move to commit together or not at all; a deadlocked
batch is written again; an unreadable record is kept with the position after it; a partition
goes back to 0 only on a newer broker log."""

from __future__ import annotations

import psycopg
import pytest
from psycopg import errors

from services.streaming.batches import Batch, Committer, Record
from services.streaming.positions import (
    Conn,
    PartitionLogs,
    Position,
    load_positions,
    record_epoch,
)

TOPIC = "events.accepted"
LEDGER_SQL = "INSERT INTO routed_events (source, id) VALUES (%s, %s) ON CONFLICT DO NOTHING"


def record(offset: int, epoch: int) -> Record:
    value = f'{{"source": "/s", "id": "e-{offset}"}}'.encode()
    return Record(TOPIC, 0, offset, None, value, [("tandem-epoch", str(epoch).encode())])


def ledger(conn: Conn) -> list[str]:
    rows = conn.execute("SELECT id FROM routed_events ORDER BY id").fetchall()
    conn.commit()
    return [str(row[0]) for row in rows]


def write_ledger(conn: Conn, batch: Batch) -> None:
    for one in batch.records:
        conn.execute(LEDGER_SQL, ("/s", f"e-{one.offset}"))


def test_a_batch_and_its_positions_commit_together_or_not_at_all(database_url: str) -> None:
    batch = Batch([record(0, 3), record(1, 3)], 3)
    with psycopg.connect(database_url) as conn:

        def half_then_fail(conn: Conn, batch: Batch) -> None:
            conn.execute(LEDGER_SQL, ("/s", "e-0"))
            raise RuntimeError("killed mid-batch")

        with pytest.raises(RuntimeError):
            Committer(conn, "test", TOPIC, half_then_fail).commit(batch, {0: Position(3, 2)})
        assert ledger(conn) == []
        assert load_positions(conn, "test", TOPIC) == {}

        Committer(conn, "test", TOPIC, write_ledger).commit(batch, {0: Position(3, 2)})
        assert ledger(conn) == ["e-0", "e-1"]
        assert load_positions(conn, "test", TOPIC) == {0: Position(3, 2)}


def test_a_batch_that_met_a_deadlock_is_written_again_once(database_url: str) -> None:
    calls: list[int] = []

    def deadlocked_once(conn: Conn, batch: Batch) -> None:
        calls.append(len(batch.records))
        write_ledger(conn, batch)
        if len(calls) == 1:
            raise errors.DeadlockDetected("as two workers meeting on the same rows")

    with psycopg.connect(database_url) as conn:
        Committer(conn, "test", TOPIC, deadlocked_once).commit(Batch([record(5, 0)], 0), {})
        assert calls == [1, 1]
        assert ledger(conn) == ["e-5"]
        assert load_positions(conn, "test", TOPIC) == {}  # none given: faust keeps its own


def test_an_unreadable_record_is_kept_with_the_position_after_it(database_url: str) -> None:
    kept: list[tuple[int, int, str]] = []

    def unreadable(conn: Conn, partition: int, offset: int, reason: str) -> None:
        kept.append((partition, offset, reason))

    with psycopg.connect(database_url) as conn:
        committer = Committer(conn, "test", TOPIC, write_ledger, unreadable)
        committer.pass_over(2, 41, 1, "header name not UTF-8")
        assert kept == [(2, 41, "header name not UTF-8")]
        assert load_positions(conn, "test", TOPIC) == {2: Position(1, 42)}


def test_a_partition_goes_back_to_0_only_on_a_newer_log() -> None:
    logs = PartitionLogs()
    logs.reading((TOPIC, 0), 1)
    assert not logs.replaced((TOPIC, 0), 1)
    assert not logs.replaced((TOPIC, 0), 0)  # a record of the old log, read late
    assert logs.replaced((TOPIC, 0), 2)
    assert not logs.replaced((TOPIC, 0), 2)  # once: the new log is now the one read
    assert logs.epochs == {(TOPIC, 0): 2}


def test_a_batch_carries_its_values_and_epoch_headers_read() -> None:
    batch = Batch([record(0, 4), record(1, 4)], 4)
    assert batch.values == [r.value for r in batch.records]
    assert [record_epoch(r.headers) for r in batch.records] == [4, 4]
    assert record_epoch([("other", b"7"), ("tandem-epoch", None)]) == 0
