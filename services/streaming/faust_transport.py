"""The faust transport of the batch contract (services/streaming/batches.py), for services whose
workers share a topic's partitions.

faust is only transport and the scaling unit: workers of the same app share the topic's
partitions (a consumer group), and each batch faust gathers is written by the writer inside one
PostgreSQL transaction. A batch is acknowledged to faust only after its transaction commits, so
a killed worker's records are delivered again, and the writer's idempotence makes the second
delivery change nothing. The positions are faust's (its group's commits); the broker epoch is
followed as the Kafka transport follows it, from the records' headers and from PostgreSQL.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import faust
import mode.loop
import psycopg

from services.settings import Settings
from services.streaming.batches import Batch, Committer, Record, Write
from services.streaming.positions import Conn, PartitionLogs, current_epoch, record_epoch
from services.streaming.security import faust_credentials

log = logging.getLogger(__name__)

BATCH_EVENTS = 5000
BATCH_SECONDS = 0.2
EPOCH_CHECK_SECONDS = 2.0


class BatchSink:
    """One PostgreSQL connection, used from worker threads (one at a time) so that faust's loop
    keeps its heartbeat while a batch is written."""

    def __init__(self, settings: Settings, name: str, topic: str, write: Write) -> None:
        self.conn: Conn = psycopg.connect(settings.require_database_url())
        self.lock = threading.Lock()
        self.committer = Committer(self.conn, name, topic, write)

    def write(self, batch: Batch) -> None:
        with self.lock:
            self.committer.commit(batch, {})

    def epoch(self) -> int:
        with self.lock, self.conn.transaction():
            return current_epoch(self.conn)


def make_app(settings: Settings, name: str, topic: str, write: Write, datadir: Path) -> faust.App:
    """A faust app `tandem-{name}` whose workers feed `topic` to `write` in batches."""
    app = faust.App(
        settings.topic(f"tandem-{name}"),
        broker=f"kafka://{settings.require_kafka_bootstrap()}",
        broker_credentials=faust_credentials(settings),
        store="memory://",
        datadir=str(datadir),
        topic_allow_declare=False,
        topic_disable_leader=True,
        consumer_auto_offset_reset="earliest",
        broker_session_timeout=6,
        broker_heartbeat_interval=1,
        broker_commit_interval=1.0,
        web_enabled=False,
    )
    source = app.topic(
        settings.topic(topic), key_serializer="raw", value_serializer="raw", value_type=bytes
    )
    sink = BatchSink(settings, name, settings.topic(topic), write)
    logs = PartitionLogs()

    async def start_again_if_log_replaced(partitions: Iterable[Any], epoch: int) -> None:
        for tp in partitions:
            if tp not in logs.epochs:
                # Faust's own committed offset is where a partition new to us is read from.
                log.info("reading partition", extra={"topic": tp.topic, "partition": tp.partition})
                logs.reading(tp, epoch)
            elif logs.replaced(tp, epoch):
                await app.consumer.seek(tp, 0)

    async def write_then_ack(stream: faust.Stream[bytes], events: list[Any]) -> None:
        """Write one batch, then acknowledge it: faust commits no offset not yet counted."""
        batch = _batch(events)
        await asyncio.to_thread(sink.write, batch)
        for event in events:
            await stream.ack(event)
        await start_again_if_log_replaced({event.message.tp for event in events}, batch.epoch)
        log.debug("batch written", extra={"events": len(events)})

    @app.agent(source, name=name)
    async def batches(stream: faust.StreamT[bytes]) -> None:
        assert isinstance(stream, faust.Stream)  # StreamT does not declare noack_take
        # One batch is written while faust gathers the next, so the worker's loop and the
        # database work side by side; acknowledgements stay in order, one batch at a time.
        writing: asyncio.Task[None] | None = None
        async for events in stream.noack_take(BATCH_EVENTS, within=BATCH_SECONDS):
            if writing is not None:
                await writing
            writing = asyncio.create_task(write_then_ack(stream, list(events)))
        if writing is not None:
            await writing

    @app.timer(EPOCH_CHECK_SECONDS)  # type: ignore[untyped-decorator]
    async def follow_broker_epoch() -> None:
        epoch = await asyncio.to_thread(sink.epoch)
        await start_again_if_log_replaced(app.consumer.assignment(), epoch)

    return app


def _batch(events: list[Any]) -> Batch:
    # The message as the broker gave it (the raw serializers leave key and value as bytes).
    messages = [event.message for event in events]
    records = [
        Record(m.topic, m.partition, m.offset, m.key, m.value or b"", m.headers or ())
        for m in messages
    ]
    return Batch(records, max(record_epoch(record.headers) for record in records))


def serve(settings: Settings, name: str, topic: str, write: Write) -> None:
    """One faust worker of `tandem-{name}`, writing batches of `topic` with `write`, until
    SIGTERM or Ctrl-C."""
    mode.loop.use("uvloop")  # faust's per-event cost is mostly event-loop work; uvloop trims it
    # faust keeps little there with its memory store; the folder goes when the worker does.
    with tempfile.TemporaryDirectory(prefix=f"tandem-{name}-") as datadir:
        app = make_app(settings, name, topic, write, Path(datadir))
        faust.Worker(
            app, loglevel=settings.log_level, redirect_stdouts=False
        ).execute_from_commandline()
