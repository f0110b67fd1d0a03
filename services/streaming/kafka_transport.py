"""The plain-Kafka transport of the batch contract (services/streaming/batches.py): batches and
positions commit together in PostgreSQL.

Each poll's records are one batch, written inside one transaction that also saves the
positions, so a kill at any moment leaves either both or neither: exactly-once effect without
broker transactions. It reads every partition of its topic itself (no consumer group:
positions live in PostgreSQL, and one instance keeps up at COPY speed); a second instance waits
on an advisory lock as a hot standby.

Records the relay publishes carry its broker epoch, and meeting a newer one sends the consumer
back to the start of the new log. Partners' own records (`events.inbound`) carry no epoch that
may be trusted, so a consumer of those (`relayed=False`) ignores the header and learns of a lost
log from the relay instead, by the broker epoch in PostgreSQL: a restarted broker hands out
offsets from 0 again, and a consumer left at its place in the old log would pass over the new
log's first records. As anyone may write partners' records, one the client cannot even read is
handed to `unreadable` (with the position after it, in one transaction) rather than stopping
its partition.
"""

from __future__ import annotations

import logging
import threading

from kafka import KafkaConsumer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord
from kafka.errors import CorruptRecordError

from services.settings import Settings
from services.store.connections import become_the_active_instance, connect
from services.streaming.batches import Batch, Committer, Record, Unreadable, Write
from services.streaming.positions import (
    Conn,
    PartitionLogs,
    Position,
    current_epoch,
    load_positions,
    record_epoch,
    start_offset,
)
from services.streaming.security import client_options
from services.streaming.unreadable_records import unreadable_record

log = logging.getLogger(__name__)

MAX_RECORDS = 5000


class BatchConsumer:
    def __init__(
        self,
        settings: Settings,
        conn: Conn,
        name: str,
        topic: str,
        write: Write,
        *,
        relayed: bool = True,
        unreadable: Unreadable | None = None,
    ) -> None:
        self.conn = conn
        self.name = name
        self.topic = settings.topic(topic)
        self.relayed = relayed
        self.committer = Committer(conn, name, self.topic, write, unreadable)
        self.client_options = client_options(settings)
        self.logs = PartitionLogs()
        self.consumer = KafkaConsumer(
            **self.client_options,
            client_id=f"tandem-{name}",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=MAX_RECORDS,
            allow_auto_create_topics=False,  # only ensure_topics creates, with our partitions
        )
        partitions = self.consumer.partitions_for_topic(self.topic)
        if not partitions:
            raise RuntimeError(f"topic {self.topic} does not exist")
        assigned = [TopicPartition(self.topic, p) for p in sorted(partitions)]
        self.consumer.assign(assigned)
        self.resume(assigned)

    def resume(self, assigned: list[TopicPartition]) -> None:
        stored = load_positions(self.conn, self.name, self.topic)
        epoch = current_epoch(self.conn)
        self.conn.commit()
        for tp in assigned:
            self.consumer.seek(tp, start_offset(stored.get(tp.partition), epoch))
            self.logs.reading(tp, epoch)
        log.info("partitions assigned", extra={"partitions": [tp.partition for tp in assigned]})

    def poll_once(self, timeout_ms: int = 500) -> int:
        """Read one batch and commit its effects with its positions; return records written."""
        if not self.relayed:
            self._follow_broker_epoch()
        try:
            polled = self.consumer.poll(timeout_ms=timeout_ms, max_records=MAX_RECORDS)
        except CorruptRecordError as error:
            if self.committer.unreadable is None:
                raise
            self._pass_over_unreadable(str(error))
            return 0
        records: list[Record] = []
        positions: dict[int, Position] = {}
        for tp, polled_records in polled.items():
            kept = self._current_log(tp, polled_records) if self.relayed else polled_records
            if kept:
                records.extend(map(_record, kept))
                positions[tp.partition] = Position(self.logs.epochs[tp], kept[-1].offset + 1)
        if not records:
            return 0
        epoch = max(position.epoch for position in positions.values())
        self.committer.commit(Batch(records, epoch), positions)
        return len(records)

    def _follow_broker_epoch(self) -> None:
        """When the relay has found the broker's log lost, read each partition's new log from 0."""
        epoch = current_epoch(self.conn)
        self.conn.commit()
        for tp in self.consumer.assignment():
            if self.logs.replaced(tp, epoch):
                self.consumer.seek(tp, 0)

    def _pass_over_unreadable(self, reason: str) -> None:
        tp, offset = unreadable_record(self.consumer, self.client_options)
        log.warning(
            "record could not be read; passed over",
            extra={"partition": tp.partition, "offset": offset, "error": reason},
        )
        self.committer.pass_over(tp.partition, offset, self.logs.epochs[tp], reason)
        self.consumer.seek(tp, offset + 1)

    def _current_log(
        self,
        tp: TopicPartition,
        polled: list[ConsumerRecord],  # type: ignore[type-arg]
    ) -> list[ConsumerRecord]:  # type: ignore[type-arg]
        """Records of the log our position belongs to; on meeting a newer log, go back to 0."""
        for index, record in enumerate(polled):
            if self.logs.replaced(tp, record_epoch(record.headers)):
                self.consumer.seek(tp, 0)
                return polled[:index]
        return polled

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            self.poll_once()

    def close(self) -> None:
        self.consumer.close()


def _record(record: ConsumerRecord) -> Record:  # type: ignore[type-arg]
    return Record(
        record.topic,
        record.partition,
        record.offset,
        record.key,
        record.value or b"",
        record.headers,
    )


def serve(
    settings: Settings,
    stop: threading.Event,
    name: str,
    topic: str,
    write: Write,
    *,
    relayed: bool = True,
    unreadable: Unreadable | None = None,
) -> None:
    """The active instance of `name` (the others wait), writing each batch of `topic` with
    `write` until `stop` is set."""
    with connect(settings) as conn:
        become_the_active_instance(conn, name)
        consumer = BatchConsumer(
            settings, conn, name, topic, write, relayed=relayed, unreadable=unreadable
        )
        try:
            consumer.run(stop)
        finally:
            consumer.close()
