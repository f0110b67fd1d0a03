"""faust as transport for the services that turn `events.accepted` into PostgreSQL rows.

The aggregator (figures) and the router (shares) are the same shape: faust consumes the topic
in batches and hands each batch to a plain function, `write(conn, values) -> rows`, inside one
PostgreSQL transaction. faust is only transport and the scaling unit: workers of the same app
share the topic's partitions (a consumer group). A batch is acknowledged to faust only after
its transaction commits, so a killed worker's events are delivered again — and every `write`
is idempotent by event, so the second delivery changes nothing.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import faust
import mode.loop
import psycopg
from psycopg import errors

from services.settings import Settings
from services.streaming.positions import current_epoch, record_epoch
from services.streaming.topics import ACCEPTED

log = logging.getLogger(__name__)

Write = Callable[[psycopg.Connection[Any], Sequence[bytes]], int]
BATCH_EVENTS = 5000
BATCH_SECONDS = 0.2
EPOCH_CHECK_SECONDS = 2.0
RETRIES = 5


class BatchSink:
    """One PostgreSQL connection, used from worker threads (one at a time) so that faust's loop
    keeps its heartbeat while a batch is written."""

    def __init__(self, settings: Settings, write: Write) -> None:
        self.conn = psycopg.connect(settings.require_database_url())
        self.lock = threading.Lock()
        self._write_batch = write

    def write(self, values: Sequence[bytes]) -> int:
        with self.lock:
            return self._write(values)

    def _write(self, values: Sequence[bytes]) -> int:
        for attempt in range(1, RETRIES + 1):
            try:
                with self.conn.transaction():
                    return self._write_batch(self.conn, values)
            except (errors.DeadlockDetected, errors.SerializationFailure):
                # Two workers met on the same rows; the batch is idempotent, so run it again.
                if attempt == RETRIES:
                    raise
        raise AssertionError("unreachable")

    def epoch(self) -> int:
        with self.lock, self.conn.transaction():
            return current_epoch(self.conn)


def make_app(
    settings: Settings,
    name: str,
    write: Write,
    datadir: Path,
    source: str = ACCEPTED,
) -> faust.App:
    """A faust app `tandem-{name}` whose workers feed the `source` topic (`events.accepted`
    unless told) to `write` in batches."""
    app = faust.App(
        settings.topic(f"tandem-{name}"),
        broker=f"kafka://{settings.require_kafka_bootstrap()}",
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
    topic = app.topic(
        settings.topic(source), key_serializer="raw", value_serializer="raw", value_type=bytes
    )
    sink = BatchSink(settings, write)
    epochs: dict[Any, int] = {}

    async def start_again_if_log_replaced(partitions: set[Any], epoch: int) -> None:
        """A newer broker epoch means the log we were reading is gone: read it again from 0."""
        for tp in partitions:
            if tp not in epochs:
                log.info("reading partition", extra={"topic": tp.topic, "partition": tp.partition})
            if epochs.get(tp, epoch) < epoch:
                log.warning("broker log replaced; reading again from 0", extra={"tp": str(tp)})
                await app.consumer.seek(tp, 0)
            epochs[tp] = epoch

    async def write_then_ack(stream: faust.Stream[bytes], events: list[Any]) -> None:
        """Write one batch, then acknowledge it: faust commits no offset not yet counted."""
        new = await asyncio.to_thread(sink.write, [event.value for event in events])
        for event in events:
            await stream.ack(event)
        newest = max(record_epoch(list(event.headers.items())) for event in events)
        await start_again_if_log_replaced({event.message.tp for event in events}, newest)
        log.debug("batch written", extra={"events": len(events), "rows": new})

    @app.agent(topic, name=name)
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
        await start_again_if_log_replaced(set(app.consumer.assignment()), epoch)

    return app


def run_worker(name: str, write: Write, source: str = ACCEPTED) -> None:
    """The service's main: one faust worker of `tandem-{name}` until SIGTERM or Ctrl-C."""
    from services.runtime import start_service

    mode.loop.use("uvloop")  # faust's per-event cost is mostly event-loop work; uvloop trims it
    settings, _ = start_service(name)
    # faust keeps little there with its memory store; the folder goes when the worker does.
    with tempfile.TemporaryDirectory(prefix=f"tandem-{name}-") as datadir:
        app = make_app(settings, name, write, Path(datadir), source=source)
        faust.Worker(
            app, loglevel=settings.log_level, redirect_stdouts=False
        ).execute_from_commandline()
