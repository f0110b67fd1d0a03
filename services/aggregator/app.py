"""The aggregator: faust consumes `events.accepted` and hands batches to the figures writer.

faust is only transport and the scaling unit: workers of the same app share the topic's
partitions (a consumer group); all rules live in `projections.sql`. A batch is written in one
PostgreSQL transaction and acknowledged to faust only afterwards, so a killed worker's events
are delivered again — and the ledger makes the second delivery change nothing.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import faust
import psycopg
from psycopg import errors

from infra.topics import ACCEPTED
from services.aggregator.figures_writer import apply_batch
from services.consumer_offsets import current_epoch, record_epoch
from services.settings import Settings

log = logging.getLogger(__name__)

LIVE = "live"
BATCH_EVENTS = 5000
BATCH_SECONDS = 0.2
EPOCH_CHECK_SECONDS = 2.0
RETRIES = 5


class FiguresSink:
    """One PostgreSQL connection, used from worker threads (one at a time) so that faust's loop
    keeps its heartbeat while a batch is written."""

    def __init__(self, settings: Settings) -> None:
        self.conn = psycopg.connect(settings.require_database_url())
        self.lock = threading.Lock()

    def write(self, run: str, values: Sequence[bytes]) -> int:
        with self.lock:
            return self._write(run, values)

    def _write(self, run: str, values: Sequence[bytes]) -> int:
        for attempt in range(1, RETRIES + 1):
            try:
                with self.conn.transaction():
                    return apply_batch(self.conn, run, values)
            except (errors.DeadlockDetected, errors.SerializationFailure):
                # Two workers met on the same rows; the batch is idempotent, so run it again.
                if attempt == RETRIES:
                    raise
        raise AssertionError("unreachable")

    def epoch(self) -> int:
        with self.lock, self.conn.transaction():
            return current_epoch(self.conn)


def make_app(settings: Settings, datadir: Path | None = None) -> faust.App:
    app = faust.App(
        settings.topic("tandem-aggregator"),
        broker=f"kafka://{settings.require_kafka_bootstrap()}",
        store="memory://",
        datadir=str(datadir or Path(tempfile.mkdtemp(prefix="tandem-aggregator-"))),
        topic_allow_declare=False,
        topic_disable_leader=True,
        consumer_auto_offset_reset="earliest",
        broker_session_timeout=6,
        broker_heartbeat_interval=1,
        broker_commit_interval=1.0,
        web_enabled=False,
    )
    topic = app.topic(
        settings.topic(ACCEPTED), key_serializer="raw", value_serializer="raw", value_type=bytes
    )
    sink = FiguresSink(settings)
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

    async def count_then_ack(stream: faust.Stream[bytes], events: list[Any]) -> None:
        """Write one batch, then acknowledge it: faust commits no offset not yet counted."""
        new = await asyncio.to_thread(sink.write, LIVE, [event.value for event in events])
        for event in events:
            await stream.ack(event)
        newest = max(record_epoch(list(event.headers.items())) for event in events)
        await start_again_if_log_replaced({event.message.tp for event in events}, newest)
        log.debug("batch counted", extra={"events": len(events), "new": new})

    @app.agent(topic, name="figures")
    async def figures(stream: faust.StreamT[bytes]) -> None:
        assert isinstance(stream, faust.Stream)  # StreamT does not declare noack_take
        # One batch is written while faust gathers the next, so the worker's loop and the
        # database work side by side; acknowledgements stay in order, one batch at a time.
        writing: asyncio.Task[None] | None = None
        async for events in stream.noack_take(BATCH_EVENTS, within=BATCH_SECONDS):
            if writing is not None:
                await writing
            writing = asyncio.create_task(count_then_ack(stream, list(events)))
        if writing is not None:
            await writing

    @app.timer(EPOCH_CHECK_SECONDS)  # type: ignore[untyped-decorator]
    async def follow_broker_epoch() -> None:
        epoch = await asyncio.to_thread(sink.epoch)
        await start_again_if_log_replaced(set(app.consumer.assignment()), epoch)

    return app
