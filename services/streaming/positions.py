"""Consumer positions kept in PostgreSQL, written in the same transaction as their effects.

A position is (epoch, next offset) per partition. The epoch is the relay's count of broker logs
lost (records carry it in a header): a position from an older epoch points into a log that no
longer exists, so the consumer starts that partition again from 0, and its idempotent writes
absorb what it sees twice.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import psycopg

log = logging.getLogger(__name__)

Conn = psycopg.Connection[tuple[object, ...]]
Partition = tuple[str, int]
"""(topic, partition): what kafka-python's TopicPartition and faust's TP both are."""


EPOCH_HEADER = "tandem-epoch"
"""The header that carries a record's epoch, set by whoever publishes onto the broker."""


@dataclass(frozen=True)
class Position:
    epoch: int
    next_offset: int


def record_epoch(headers: Sequence[tuple[str, bytes | None]]) -> int:
    for name, value in headers:
        if name == EPOCH_HEADER and value is not None:
            return int(value)
    return 0


class PartitionLogs:
    """The broker log (epoch) each partition is read from, for either transport: a newer epoch,
    from a record's header or from PostgreSQL, means the log we were reading is gone."""

    def __init__(self) -> None:
        self.epochs: dict[Partition, int] = {}

    def reading(self, tp: Partition, epoch: int) -> None:
        """`tp` is read from `epoch`'s log, from wherever its position is."""
        self.epochs[tp] = epoch

    def replaced(self, tp: Partition, epoch: int) -> bool:
        """Whether `epoch` is newer than the log `tp` is read from: then the partition is to be
        read again from 0, in the new log, which is taken as read from now on."""
        if self.epochs[tp] >= epoch:
            return False
        log.warning(
            "broker log replaced; reading the partition again from 0",
            extra={"topic": tp[0], "partition": tp[1], "epoch": epoch},
        )
        self.epochs[tp] = epoch
        return True


def current_epoch(conn: Conn) -> int:
    row = conn.execute("SELECT epoch FROM broker_epoch").fetchone()
    return int(str(row[0])) if row else 0


def load_positions(conn: Conn, consumer: str, topic: str) -> dict[int, Position]:
    rows = conn.execute(
        "SELECT partition, epoch, next_offset FROM consumer_offsets"
        " WHERE consumer = %s AND topic = %s",
        (consumer, topic),
    ).fetchall()
    return {int(str(p)): Position(int(str(e)), int(str(o))) for p, e, o in rows}


def start_offset(stored: Position | None, epoch: int) -> int:
    """Where to read a partition from, given its stored position and the broker's epoch now."""
    if stored is None or stored.epoch != epoch:
        return 0
    return stored.next_offset


def save_positions(
    conn: Conn, consumer: str, topic: str, positions: Mapping[int, Position]
) -> None:
    """Call inside the transaction that writes the effects of the records read."""
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO consumer_offsets (consumer, topic, partition, epoch, next_offset)"
            " VALUES (%s, %s, %s, %s, %s)"
            " ON CONFLICT (consumer, topic, partition)"
            " DO UPDATE SET epoch = excluded.epoch, next_offset = excluded.next_offset",
            [(consumer, topic, p, pos.epoch, pos.next_offset) for p, pos in positions.items()],
        )
