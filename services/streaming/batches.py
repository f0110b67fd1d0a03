"""The one contract of the services that turn a topic into PostgreSQL rows.

A batch writer is `write(conn, batch)`: it writes the batch's effects on `conn` and commits
nothing; the transport runs it inside one PostgreSQL transaction and commits that with the
batch's positions, where it keeps them there. Every transport delivers at least once, so a
writer's effects must be idempotent by record: a batch seen again changes nothing.

Two transports feed the same writers, and a process is only its topic, its writer and its
transport: `kafka_transport` (one active instance reads every partition, positions in
PostgreSQL, a hot standby: the archiver and the inbound service) and `faust_transport`
(workers of a faust app share the partitions: the aggregator and the router).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from psycopg import errors

from services.streaming.positions import Conn, Position, save_positions

RETRIES = 5


class Record(NamedTuple):  # a tuple: the faust transport makes one per event, in its loop
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes  # b"" for a record that has none
    headers: Sequence[tuple[str, bytes | None]]


@dataclass(frozen=True)
class Batch:
    records: Sequence[Record]
    epoch: int
    """The broker epoch of the log its records were read from (the newest, when partitions
    were read from different ones)."""

    @property
    def values(self) -> list[bytes]:
        return [record.value for record in self.records]


Write = Callable[[Conn, Batch], None]
Unreadable = Callable[[Conn, int, int, str], None]
"""Keeps what is known of the record at (partition, offset) that could not be read, and why."""


class Committer:
    """Commits one consumer's batches: the writer's effects and the positions they move the
    consumer to, in one transaction, so that a kill at any moment leaves both or neither."""

    def __init__(
        self,
        conn: Conn,
        consumer: str,
        topic: str,
        write: Write,
        unreadable: Unreadable | None = None,
    ) -> None:
        self.conn = conn
        self.consumer = consumer
        self.topic = topic
        self.write = write
        self.unreadable = unreadable

    def commit(self, batch: Batch, positions: Mapping[int, Position]) -> None:
        for attempt in range(1, RETRIES + 1):
            try:
                with self.conn.transaction():
                    self.write(self.conn, batch)
                    self._save(positions)
                return
            except (errors.DeadlockDetected, errors.SerializationFailure):
                # Two workers met on the same rows; the batch is idempotent, so run it again.
                if attempt == RETRIES:
                    raise

    def pass_over(self, partition: int, offset: int, epoch: int, reason: str) -> None:
        """Keep the unreadable record at (partition, offset) as `unreadable` says, and move
        the partition past it, in one transaction."""
        assert self.unreadable is not None
        with self.conn.transaction():
            self.unreadable(self.conn, partition, offset, reason)
            self._save({partition: Position(epoch, offset + 1)})

    def _save(self, positions: Mapping[int, Position]) -> None:
        if positions:  # a transport whose positions live in its consumer group keeps none here
            save_positions(self.conn, self.consumer, self.topic, positions)
