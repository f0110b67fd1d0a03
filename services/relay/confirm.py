"""Reading back what the broker acknowledged, before the relay moves past it.

An acknowledgement is the broker's word that a record is at (topic, partition, offset). Under
load the embedded broker has given that word for records it did not keep (see the README,
"Why a 202 is never lost"), so the relay takes nothing on trust: it reads each acknowledged
offset back and compares the record found there with the one it sent. A record that is not
where it was acknowledged is sent again; the position moves only past confirmed records.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from kafka import KafkaConsumer, TopicPartition

READ_BACK_SECONDS = 10.0


@dataclass(frozen=True)
class Acknowledged:
    """A record as sent, and where the broker said it put it."""

    topic: str
    partition: int
    offset: int
    key: bytes
    value: bytes


def not_held(
    acknowledged: Sequence[Acknowledged], found: dict[tuple[str, int, int], tuple[bytes, bytes]]
) -> list[int]:
    """Indices of `acknowledged` whose offset holds nothing, or another record, in `found`."""
    return [
        index
        for index, ack in enumerate(acknowledged)
        if found.get((ack.topic, ack.partition, ack.offset)) != (ack.key, ack.value)
    ]


class ReadBack:
    """One consumer kept open for reading back, assigned to whatever a batch touched."""

    def __init__(self, client_options: dict[str, Any], seconds: float = READ_BACK_SECONDS) -> None:
        self.seconds = seconds
        self.consumer = KafkaConsumer(
            **client_options,
            client_id="tandem-relay-confirm",
            enable_auto_commit=False,
            allow_auto_create_topics=False,
            max_partition_fetch_bytes=8 * 1024 * 1024,
        )

    def unconfirmed(self, acknowledged: Sequence[Acknowledged]) -> list[int]:
        """Indices of the records the broker does not hold where it acknowledged them."""
        return not_held(acknowledged, self._read(acknowledged))

    def _read(
        self, acknowledged: Sequence[Acknowledged]
    ) -> dict[tuple[str, int, int], tuple[bytes, bytes]]:
        """The records at the acknowledged offsets of each partition, as far as they exist."""
        spans: dict[TopicPartition, tuple[int, int]] = defaultdict(lambda: (2**63, -1))
        for ack in acknowledged:
            tp = TopicPartition(ack.topic, ack.partition)
            low, high = spans[tp]
            spans[tp] = (min(low, ack.offset), max(high, ack.offset))
        self.consumer.assign(list(spans))
        for tp, (low, _) in spans.items():
            self.consumer.seek(tp, low)
        found: dict[tuple[str, int, int], tuple[bytes, bytes]] = {}
        waiting = dict(spans)
        deadline = time.monotonic() + self.seconds
        # The broker's high watermark cannot be trusted here, so reading goes on until each
        # partition has shown its highest acknowledged offset, or the time is up.
        while waiting and time.monotonic() < deadline:
            for tp, records in self.consumer.poll(timeout_ms=200, max_records=50_000).items():
                for record in records:
                    found[tp.topic, tp.partition, record.offset] = (
                        record.key or b"",
                        record.value or b"",
                    )
                    if tp in waiting and record.offset >= waiting[tp][1]:
                        del waiting[tp]
                        self.consumer.pause(tp)
        self.consumer.resume(*self.consumer.paused())
        return found

    def close(self) -> None:
        self.consumer.close()
