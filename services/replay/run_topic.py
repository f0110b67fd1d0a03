"""The run's topic, written with aiokafka's batch API on an event loop of its own: the player
hands over records as it sends them, and `flush` returns once the broker holds them all.

Building whole batches per partition (aiokafka's C record builder) costs a fraction of a
per-record `send`, which is what lets `--speed max` outrun the figures' own transport.
"""

from __future__ import annotations

import asyncio
import threading
from collections import defaultdict
from collections.abc import Coroutine
from datetime import datetime
from typing import Any, TypeVar

from aiokafka import AIOKafkaProducer
from aiokafka.partitioner import murmur2

T = TypeVar("T")
MAX_BATCH_BYTES = 512 * 1024


class RunTopic:
    def __init__(
        self, client_options: dict[str, Any], topic: str, headers: list[tuple[str, bytes]]
    ) -> None:
        self.topic = topic
        self.headers = headers
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, name=f"send-{topic}", daemon=True).start()
        self.producer = self._call(self._start(client_options))
        self.partitions = sorted(self._call(self.producer.partitions_for(topic)))
        self.partition_of: dict[bytes, int] = {}
        self.waiting: dict[int, list[tuple[bytes, bytes, int]]] = defaultdict(list)

    @staticmethod
    async def _start(client_options: dict[str, Any]) -> AIOKafkaProducer:
        producer = AIOKafkaProducer(**client_options, acks="all", max_batch_size=MAX_BATCH_BYTES)
        await producer.start()
        return producer

    def _call(self, work: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(work, self.loop).result()

    def send(self, key: bytes, value: bytes, sent_at: datetime) -> None:
        """Queue a record for its subject's partition (Kafka's default, murmur2 of the key),
        stamped with the moment the player let it go, not when its partition's batch is built."""
        partition = self.partition_of.get(key)
        if partition is None:
            partition = self.partitions[(murmur2(key) & 0x7FFFFFFF) % len(self.partitions)]
            self.partition_of[key] = partition
        self.waiting[partition].append((key, value, int(sent_at.timestamp() * 1000)))

    def flush(self) -> None:
        if self.waiting:
            records, self.waiting = self.waiting, defaultdict(list)
            self._call(self._send(records))

    async def _send(self, records: dict[int, list[tuple[bytes, bytes, int]]]) -> None:
        sent, headers = [], self.headers
        for partition, queued in records.items():
            batch = self.producer.create_batch()
            for key, value, stamp in queued:
                if batch.append(key=key, value=value, timestamp=stamp, headers=headers) is None:
                    sent.append(
                        await self.producer.send_batch(batch, self.topic, partition=partition)
                    )
                    batch = self.producer.create_batch()
                    batch.append(key=key, value=value, timestamp=stamp, headers=headers)
            sent.append(await self.producer.send_batch(batch, self.topic, partition=partition))
        await asyncio.gather(*sent)

    def close(self) -> None:
        try:
            self.flush()
            self._call(self.producer.stop())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
