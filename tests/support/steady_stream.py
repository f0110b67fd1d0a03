"""A partnership publishing at a steady rate while faults happen, and exactly what each partner
was told is durable: a 202 from the gateway, or the broker's acknowledgement.

Partners publish over HTTP with the Python client, which retries through connection errors,
503s and 429s (a retried event that had been stored is a duplicate); one partner produces
straight to Kafka (`events.inbound`), as some partners' systems do.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from kafka import KafkaProducer
from kafka.producer.future import RecordMetadata

from services.client.publisher import Backoff, Publisher
from services.settings import Settings
from services.simulate.demo_stream import in_turn
from services.streaming.topics import INBOUND

Event = dict[str, Any]

TICK_SECONDS = 0.1
# Retry often and for long: the stream must outlast any fault, and see the moment it is over.
PATIENT = Backoff(attempts=1000, first=0.05, cap=0.5, connect_for=300.0)


@dataclass(frozen=True)
class Durable:
    """A request the gateway answered 202: its events, when it was first sent and answered."""

    events: tuple[Event, ...]
    sent: float
    answered: float
    accepted: int
    duplicates: int


@dataclass(frozen=True)
class Ack:
    """The broker acknowledged `event` (time.monotonic() `at`) at `offset` of its partition, in
    that partition's `log`-th log: a broker that restarts empty starts new logs, which is seen
    when a partition's offsets go down."""

    at: float
    event: Event
    partition: int
    offset: int
    log: int


@dataclass
class Delivered:
    """What the stream was told is durable, and when (time.monotonic)."""

    requests: list[Durable] = field(default_factory=list)
    acked: list[Ack] = field(default_factory=list)
    produced: list[Event] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    logs: dict[int, tuple[int, int]] = field(default_factory=dict)  # partition: (log, offset)

    def acknowledge(self, event: Event, partition: int, offset: int) -> None:
        with self.lock:
            log, last = self.logs.get(partition, (0, -1))
            if offset <= last:
                log += 1
            self.logs[partition] = (log, offset)
            self.acked.append(Ack(time.monotonic(), event, partition, offset, log))

    def acked_in_logs_kept(self) -> list[Ack]:
        """Acknowledgements by the logs the broker has now: those must be stored."""
        with self.lock:
            return [a for a in self.acked if a.log == self.logs[a.partition][0]]

    def acked_in_logs_lost(self) -> list[Ack]:
        """Acknowledgements by logs a restarted broker lost: those may be gone with them."""
        with self.lock:
            return [a for a in self.acked if a.log < self.logs[a.partition][0]]

    def http_events(self) -> list[Event]:
        with self.lock:
            return [event for request in self.requests for event in request.events]

    def first_202_sent_after(self, moment: float) -> float | None:
        """When a request first sent after `moment` was answered 202, if one was."""
        with self.lock:
            return min((r.answered for r in self.requests if r.sent > moment), default=None)


def ticks(events: Sequence[Event], per_tick: int) -> Iterator[Sequence[Event]]:
    for start in range(0, len(events), per_tick):
        yield events[start : start + per_tick]


class SteadyStream:
    """Publishes `events` at `rate` events/s from a thread, until they run out or `stop()`."""

    def __init__(
        self,
        settings: Settings,
        tokens: dict[str, str],
        events: Sequence[Event],
        rate: float,
        kafka_partner: str,
    ) -> None:
        self.settings = settings
        self.tokens = tokens
        self.events = events
        self.per_tick = max(1, round(rate * TICK_SECONDS))
        self.kafka_partner = kafka_partner
        self.delivered = Delivered()
        self.sent = 0  # events of `events` the stream has begun to send
        self.error: BaseException | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="steady-stream", daemon=True)

    def __enter__(self) -> SteadyStream:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    def stop(self) -> None:
        """Stop after the request in hand is durable; raise what stopped the stream, if any."""
        self._stop.set()
        self._thread.join()
        if self.error is not None:
            raise self.error

    def _run(self) -> None:
        publishers = {
            partner: Publisher(self.settings.gateway_url, token, backoff=PATIENT, timeout=10)
            for partner, token in self.tokens.items()
        }
        # Not idempotent (as kcat by default): a restarted embedded broker does not know the
        # producer's id, which kafka-python's idempotent producer takes as fatal. Its re-sends
        # are harmless: the store counts an event once by (source, id).
        producer = KafkaProducer(
            bootstrap_servers=self.settings.require_kafka_bootstrap(),
            acks="all",
            linger_ms=5,
            enable_idempotence=False,
        )
        started = time.monotonic()
        try:
            for n, tick in enumerate(ticks(self.events, self.per_tick)):
                if self._stop.wait(max(0.0, started + n * TICK_SECONDS - time.monotonic())):
                    break
                self.sent += len(tick)
                for partner, batch in in_turn(tick):
                    if partner == self.kafka_partner:
                        self._produce(producer, batch)
                    else:
                        self._publish(publishers[partner], batch)
        except BaseException as error:
            self.error = error
        finally:
            producer.flush(timeout=30)
            producer.close(timeout=5)
            for publisher in publishers.values():
                publisher.close()

    def _publish(self, publisher: Publisher, batch: list[Event]) -> None:
        sent = time.monotonic()
        result = publisher.publish_batch(batch)
        with self.delivered.lock:
            self.delivered.requests.append(
                Durable(tuple(batch), sent, time.monotonic(), result.accepted, result.duplicates)
            )

    def _produce(self, producer: KafkaProducer, batch: list[Event]) -> None:
        headers = [
            ("authorization", f"Bearer {self.tokens[self.kafka_partner]}".encode()),
            ("content-type", b"application/cloudevents+json"),
        ]
        for event in batch:
            with self.delivered.lock:
                self.delivered.produced.append(event)
            future = producer.send(
                self.settings.topic(INBOUND),
                key=str(event["subject"]).encode(),
                value=orjson.dumps(event),
                headers=headers,
            )
            future.add_callback(self._acked, event)

    def _acked(self, event: Event, metadata: RecordMetadata) -> None:
        self.delivered.acknowledge(event, metadata.partition, metadata.offset)
