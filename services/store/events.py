"""The event store writer: group commit of every request's events into PostgreSQL.

Requests that arrive while a transaction is committing wait and are written together in the
next one, so a burst of single-event requests costs a few commits rather than one each. Each
request learns how many of its events were new; duplicates of stored events are not written
again (the store's key is (source, id)). Each request is judged on its own against who may say
what (services/authority) in that same transaction: a refused one is left out, the others are
stored.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import psycopg
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from schemas import Event, event_to_json
from services.authority.rules import Act, Refusal, act_of
from services.authority.store import judge_in, judge_in_async

log = logging.getLogger(__name__)

COLUMNS = "source, id, type, partner, incident, subject, time, body"
# Rows arrive by COPY (fast, formatted in C) into a per-connection scratch table, then move to
# the store in one statement that skips duplicates and reports what was new.
STAGING_SQL = (
    "CREATE TEMP TABLE IF NOT EXISTS incoming"
    " (source text, id text, type text, partner text, incident text, subject text,"
    "  time timestamptz, body text) ON COMMIT DELETE ROWS"
)
COPY_SQL = f"COPY incoming ({COLUMNS}) FROM STDIN"
INSERT_SQL = (
    f"INSERT INTO events ({COLUMNS}) SELECT {COLUMNS} FROM incoming"
    " ON CONFLICT (source, id) DO NOTHING RETURNING source, id"
)


@dataclass(frozen=True)
class StoredEvent:
    source: str
    id: str
    type: str
    partner: str
    incident: str
    subject: str
    time: datetime
    body: str
    act: Act

    @classmethod
    def of(cls, event: Event) -> StoredEvent:
        return cls(
            source=event.source,
            id=event.id,
            type=event.type,
            partner=event.partner,
            incident=event.incident,
            subject=event.subject,
            time=event.time,
            body=event_to_json(event).decode(),
            act=act_of(event),
        )

    @property
    def key(self) -> tuple[str, str]:
        return (self.source, self.id)

    def row(self) -> tuple[object, ...]:
        """In the order of COLUMNS."""
        return (
            self.source,
            self.id,
            self.type,
            self.partner,
            self.incident,
            self.subject,
            self.time,
            self.body,
        )


class Overloaded(Exception):
    """More events are waiting for the store than it should queue: shed load."""


class StoreUnavailable(Exception):
    """The store could not make the events durable: nothing of the request was accepted."""


class NotAuthorised(Exception):
    """The request says what its partner may not say (services/authority): nothing of it
    was accepted."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.problems)
        self.refusal = refusal


@dataclass
class _Pending:
    events: list[StoredEvent]
    done: asyncio.Future[int]


class EventStore:
    def __init__(self, pool: AsyncConnectionPool, max_waiting_events: int) -> None:
        self.pool = pool
        self.max_waiting_events = max_waiting_events
        self._queue: list[_Pending] = []
        self._waiting_events = 0
        self._writer: asyncio.Task[None] | None = None

    @property
    def waiting_events(self) -> int:
        return self._waiting_events

    @property
    def full(self) -> bool:
        """As many events wait as it should queue: the next request is refused whatever its size."""
        return self._waiting_events >= self.max_waiting_events

    async def append(self, events: list[StoredEvent]) -> int:
        """Make `events` durable; return how many were new (the rest were duplicates)."""
        if self._waiting_events + len(events) > self.max_waiting_events and self._queue:
            raise Overloaded(f"{self._waiting_events} events already waiting for the store")
        pending = _Pending(events, asyncio.get_running_loop().create_future())
        self._queue.append(pending)
        self._waiting_events += len(events)
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_all())
        return await pending.done

    async def _write_all(self) -> None:
        while self._queue:
            batch, self._queue = self._queue, []
            try:
                verdicts, inserted = await self._insert(batch)
            except Exception as exc:
                log.error("event store write failed", extra={"error": repr(exc)})
                for pending in _awaited(batch):
                    pending.done.set_exception(StoreUnavailable(str(exc)))
            else:
                for pending, verdict in zip(batch, verdicts, strict=True):
                    if pending.done.done():
                        continue
                    if verdict is None:
                        pending.done.set_result(_claim(pending.events, inserted))
                    else:
                        pending.done.set_exception(NotAuthorised(verdict))
            finally:
                self._waiting_events -= sum(len(p.events) for p in batch)

    async def _insert(
        self, batch: list[_Pending]
    ) -> tuple[list[Refusal | None], set[tuple[str, str]]]:
        """Each request's verdict, and the keys stored new."""
        async with self.pool.connection() as conn, conn.transaction():
            units = [[event.act for event in pending.events] for pending in batch]
            verdicts = await judge_in_async(conn, units)
            accepted = _accepted(batch, verdicts)
            if not accepted:
                return verdicts, set()
            cursor = conn.cursor()
            async with cursor.copy(COPY_SQL) as copy:
                for event in _unique(accepted):
                    await copy.write_row(event.row())
            await cursor.execute(INSERT_SQL)
            return verdicts, {(str(s), str(i)) for s, i in await cursor.fetchall()}


@dataclass(frozen=True)
class Appended:
    new: int
    verdicts: list[Refusal | None]  # one per unit: None when it was stored


def append_in(
    conn: psycopg.Connection[tuple[object, ...]], units: list[list[StoredEvent]]
) -> Appended:
    """Judge each unit of events (a Kafka message) in turn and store those that may be, within
    the caller's transaction; say how many events were new, and why each refused unit was."""
    verdicts = judge_in(conn, [[event.act for event in unit] for unit in units])
    accepted = [e for unit, v in zip(units, verdicts, strict=True) if v is None for e in unit]
    if not accepted:
        return Appended(0, verdicts)
    conn.execute(STAGING_SQL)
    with conn.cursor() as cursor:
        with cursor.copy(COPY_SQL) as copy:
            for event in _unique(accepted):
                copy.write_row(event.row())
        cursor.execute(INSERT_SQL)
        return Appended(len(cursor.fetchall()), verdicts)


def _accepted(batch: list[_Pending], verdicts: list[Refusal | None]) -> list[StoredEvent]:
    return [
        event
        for pending, verdict in zip(batch, verdicts, strict=True)
        if verdict is None
        for event in pending.events
    ]


def _awaited(batch: list[_Pending]) -> list[_Pending]:
    """The requests still waiting for their answer: one whose handler was cancelled (its client
    gone, the server stopping) has none to receive, and must not stop the others getting theirs."""
    return [pending for pending in batch if not pending.done.done()]


def _unique(events: Iterable[StoredEvent]) -> list[StoredEvent]:
    """The first of each key, in order: one statement may not insert a key twice."""
    unique: dict[tuple[str, str], StoredEvent] = {}
    for event in events:
        unique.setdefault(event.key, event)
    return list(unique.values())


def _claim(events: list[StoredEvent], inserted: set[tuple[str, str]]) -> int:
    """Count the events this request made new; a key counts for the first request that has it."""
    new = 0
    for event in events:
        if event.key in inserted:
            inserted.discard(event.key)
            new += 1
    return new


async def prepare_connection(conn: AsyncConnection[tuple[object, ...]]) -> None:
    """Each pooled connection gets its staging table once."""
    await conn.execute(STAGING_SQL)
    await conn.commit()
