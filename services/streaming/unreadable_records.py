"""Finding the record a Kafka client cannot read.

kafka-python fails a whole poll on a record it cannot parse (a header name that is not UTF-8,
say), and fails again on every poll after, so one such record would stop its partition for
good. The poll does not say which partition failed; each partition's next record, read alone
with a second client, does.
"""

from __future__ import annotations

import time
from typing import Any

from kafka import KafkaConsumer, TopicPartition
from kafka.errors import CorruptRecordError

PROBE_SECONDS = 10.0


def unreadable_record(
    consumer: KafkaConsumer, client_options: dict[str, Any]
) -> tuple[TopicPartition, int]:
    """The partition and offset of the next record that `consumer` (whose poll just failed)
    cannot read, asked with a client of `client_options` (services/streaming/security.py);
    LookupError when every partition reads."""
    assigned = sorted(consumer.assignment(), key=lambda tp: (tp.topic, tp.partition))
    ends = consumer.end_offsets(assigned)
    probe = KafkaConsumer(
        **client_options,
        client_id="tandem-unreadable-probe",
        enable_auto_commit=False,
        allow_auto_create_topics=False,
    )
    try:
        for tp in assigned:
            offset = consumer.position(tp)
            if offset < ends[tp] and not _reads(probe, tp, offset):
                return tp, offset
    finally:
        probe.close()
    raise LookupError("every partition's next record reads")


def _reads(probe: KafkaConsumer, tp: TopicPartition, offset: int) -> bool:
    probe.assign([tp])
    probe.seek(tp, offset)
    deadline = time.monotonic() + PROBE_SECONDS
    try:
        while time.monotonic() < deadline:
            if probe.poll(timeout_ms=500, max_records=1):
                return True
    except CorruptRecordError:
        return False
    return True
