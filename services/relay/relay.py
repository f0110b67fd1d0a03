"""Publishes the event store to the broker, and republishes it when the broker loses its log.

At-least-once: a crash between publishing and saving the position publishes a batch again, and
every consumer counts an event once by its (source, id). The broker is memory-only, so after a
restart its offsets begin again at 0; the relay notices (an offset at or below the last one it
saw, or the last record it published no longer readable) and publishes everything again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import psycopg
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from schemas.bindings import CONTENT_TYPE, JSON, STRUCTURED
from services.relay.confirm import Acknowledged, ReadBack
from services.relay.outboxes import EVENTS, OUTBOXES, Outbox
from services.settings import Settings
from services.streaming.positions import EPOCH_HEADER
from services.streaming.security import client_options
from services.streaming.topics import CORE_TOPICS, REJECTED, ensure_topics

log = logging.getLogger(__name__)

STRUCTURED_TYPE, JSON_TYPE = STRUCTURED.encode(), JSON.encode()

START = ("0", 0)
BATCH = 5000
CONFIRM_ATTEMPTS = 5


class Unconfirmed(Exception):
    """The broker kept acknowledging records it then did not hold: try again later."""


@dataclass
class RelayState:
    epoch: int = 0
    positions: dict[str, tuple[str, int]] = field(default_factory=dict)
    last_offsets: dict[tuple[str, int], int] = field(default_factory=dict)
    unconfirmed: int = 0  # records sent again since the last save: acknowledged, not held


def load_state(conn: psycopg.Connection[tuple[object, ...]]) -> RelayState:
    row = conn.execute("SELECT epoch FROM broker_epoch").fetchone()
    state = RelayState(epoch=int(str(row[0])) if row else 0)
    for name, tx, seq in conn.execute("SELECT outbox, tx::text, seq FROM relay_positions"):
        state.positions[str(name)] = (str(tx), int(str(seq)))
    for topic, partition, offset in conn.execute(
        "SELECT topic, partition, last_offset FROM relay_partition_offsets"
    ):
        state.last_offsets[(str(topic), int(str(partition)))] = int(str(offset))
    return state


def save_state(
    conn: psycopg.Connection[tuple[object, ...]], state: RelayState, outbox: Outbox | None = None
) -> None:
    """Save the state; after a batch of the event store, note when it was confirmed."""
    with conn.transaction():
        conn.execute("UPDATE broker_epoch SET epoch = %s", (state.epoch,))
        if outbox is EVENTS:
            conn.execute(
                "INSERT INTO relay_confirmations (tx, seq) VALUES (%s::xid8, %s)"
                " ON CONFLICT DO NOTHING",
                state.positions[EVENTS.name],
            )
        if state.unconfirmed:
            conn.execute(
                "UPDATE completeness SET unconfirmed_total = unconfirmed_total + %s",
                (state.unconfirmed,),
            )
            state.unconfirmed = 0
        conn.execute("DELETE FROM relay_positions")
        conn.execute("DELETE FROM relay_partition_offsets")
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO relay_positions (outbox, tx, seq) VALUES (%s, %s::xid8, %s)",
                [(name, tx, seq) for name, (tx, seq) in state.positions.items()],
            )
            cur.executemany(
                "INSERT INTO relay_partition_offsets (topic, partition, last_offset)"
                " VALUES (%s, %s, %s)",
                [(t, p, o) for (t, p), o in state.last_offsets.items()],
            )


def broker_lost_log(
    last_offsets: dict[tuple[str, int], int], produced: dict[tuple[str, int], list[int]]
) -> bool:
    """True when the broker handed out an offset it had handed out before: its log restarted."""
    return any(
        min(offsets) <= last_offsets.get(tp, -1) for tp, offsets in produced.items() if offsets
    )


class Relay:
    def __init__(
        self,
        settings: Settings,
        conn: psycopg.Connection[tuple[object, ...]],
        clock: Callable[[], float] = time.monotonic,
        batch: int = BATCH,
    ) -> None:
        self.settings = settings
        self.conn = conn
        self.clock = clock
        self.batch = batch
        self.state = load_state(conn)
        self._producer: KafkaProducer | None = None
        self._read_back: ReadBack | None = None
        self._known_topics: set[str] = set(CORE_TOPICS)
        self._last_probe = clock()

    def producer(self) -> KafkaProducer:
        if self._producer is None:
            ensure_topics(self.settings)
            self._producer = KafkaProducer(
                **client_options(self.settings),
                client_id="tandem-relay",
                acks="all",
                linger_ms=5,
                batch_size=512 * 1024,
                max_request_size=16 * 1024 * 1024,
                allow_auto_create_topics=False,
            )
        return self._producer

    def read_back(self) -> ReadBack:
        if self._read_back is None:
            self._read_back = ReadBack(client_options(self.settings))
        return self._read_back

    def _ensure(self, topics: set[str]) -> None:
        """Topics named by rows (a partner's inbox) are made the first time they appear."""
        new = topics - self._known_topics
        if new:
            ensure_topics(self.settings, tuple(sorted(new)))
            self._known_topics |= new

    def drop_producer(self) -> None:
        self._known_topics = set(CORE_TOPICS)
        if self._producer is not None:
            self._producer.close(timeout=1)
            self._producer = None
        if self._read_back is not None:
            self._read_back.close()
            self._read_back = None

    def relay_once(self) -> int:
        """Publish what is waiting in every outbox; return how many records were published."""
        sent = 0
        for outbox in OUTBOXES:
            sent += self._relay_outbox(outbox)
        if sent == 0 and self.clock() - self._last_probe > 2.0:
            self._last_probe = self.clock()
            if self.state.last_offsets and not self._last_records_readable():
                self._start_again("the broker no longer has the last records published")
        return sent

    def _relay_outbox(self, outbox: Outbox) -> int:
        tx, seq = self.state.positions.get(outbox.name, START)
        after = {"tx": tx, "seq": seq, "limit": self.batch}
        rows = self.conn.execute(outbox.rows_sql, after).fetchall()
        self.conn.commit()
        if not rows:
            return 0
        self._ensure({str(topic) for _, _, topic, _, _ in rows})
        records = [
            (self.settings.topic(str(topic)), str(key).encode(), str(value).encode())
            for _, _, topic, key, value in rows
        ]
        if not self._publish_confirmed(records):
            return len(rows)
        last_tx, last_seq, _, _, _ = rows[-1]
        self.state.positions[outbox.name] = (str(last_tx), int(str(last_seq)))
        save_state(self.conn, self.state, outbox)
        return len(rows)

    def _publish_confirmed(self, records: list[tuple[str, bytes, bytes]]) -> bool:
        """Publish `records` until the broker holds each where it acknowledged it; False if
        the broker turned out to have lost its log (everything is then published again)."""
        pending = records
        for _ in range(CONFIRM_ATTEMPTS):
            acknowledged = self._send(pending)
            produced: dict[tuple[str, int], list[int]] = {}
            for ack in acknowledged:
                produced.setdefault((ack.topic, ack.partition), []).append(ack.offset)
            if broker_lost_log(self.state.last_offsets, produced):
                self._start_again("the broker's offsets started again")
                return False
            missing = set(self.read_back().unconfirmed(acknowledged))
            last = self.state.last_offsets
            for index, ack in enumerate(acknowledged):
                if index not in missing:
                    tp = (ack.topic, ack.partition)
                    last[tp] = max(ack.offset, last.get(tp, -1))
            if not missing:
                return True
            self.state.unconfirmed += len(missing)
            log.warning(
                "the broker acknowledged records it does not hold; sending them again",
                extra={
                    "records": len(missing),
                    "of": len(pending),
                    "topics": sorted({acknowledged[i].topic for i in missing}),
                },
            )
            pending = [pending[index] for index in sorted(missing)]
        raise Unconfirmed(f"{len(pending)} records not held by the broker after every attempt")

    def _send(self, records: list[tuple[str, bytes, bytes]]) -> list[Acknowledged]:
        producer = self.producer()
        epoch = (EPOCH_HEADER, str(self.state.epoch).encode())
        # Events go in the CloudEvents Kafka binding's structured mode, which a consumer (a
        # partner's SDK, on its inbox) tells by the content type; dead letters are plain JSON.
        rejected = self.settings.topic(REJECTED)
        events, letters = (
            [epoch, (CONTENT_TYPE, STRUCTURED_TYPE)],
            [epoch, (CONTENT_TYPE, JSON_TYPE)],
        )
        futures = [
            producer.send(
                topic, key=key, value=value, headers=letters if topic == rejected else events
            )
            for topic, key, value in records
        ]
        producer.flush()
        acknowledged = []
        for future, (_, key, value) in zip(futures, records, strict=True):
            meta = future.get(timeout=30)
            acknowledged.append(Acknowledged(meta.topic, meta.partition, meta.offset, key, value))
        return acknowledged

    def _last_records_readable(self) -> bool:
        consumer = KafkaConsumer(
            **client_options(self.settings),
            client_id="tandem-relay-probe",
            enable_auto_commit=False,
            allow_auto_create_topics=False,
        )
        try:
            for (topic, partition), offset in self.state.last_offsets.items():
                tp = TopicPartition(topic, partition)
                consumer.assign([tp])
                consumer.seek(tp, offset)
                records = consumer.poll(timeout_ms=2000, max_records=1).get(tp, [])
                if not records or records[0].offset != offset:
                    return False
            return True
        finally:
            consumer.close()

    def _start_again(self, why: str) -> None:
        log.warning("republishing the whole event store", extra={"reason": why})
        self.state = RelayState(epoch=self.state.epoch + 1)
        with self.conn.transaction():
            self.conn.execute("DELETE FROM relay_confirmations")
            save_state(self.conn, self.state)
        self.drop_producer()
