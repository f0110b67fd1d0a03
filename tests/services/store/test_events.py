"""The gateway's group-commit writer, against real PostgreSQL."""

from __future__ import annotations

import asyncio

import psycopg
from psycopg_pool import AsyncConnectionPool

from schemas import parse_event_obj
from services.store.events import EventStore, StoredEvent, prepare_connection
from tests.support.events_store import sample_event


def stored(n: int) -> StoredEvent:
    return StoredEvent.of(parse_event_obj(sample_event(n)))


def test_a_request_given_up_on_does_not_stop_the_others_sharing_its_commit(
    database_url: str,
) -> None:
    """A handler cancelled while its events wait (its client gone, the server stopping) once
    made the writer fail on its abandoned answer, leaving every other request of the same
    commit waiting for ever."""

    async def scenario() -> list[int]:
        async with AsyncConnectionPool(
            database_url, min_size=1, max_size=2, configure=prepare_connection
        ) as pool:
            store = EventStore(pool, max_waiting_events=100)
            async with pool.connection() as conn, conn.transaction():
                # The events table is locked, so both requests wait in the same commit.
                await conn.execute("LOCK TABLE events IN EXCLUSIVE MODE")
                given_up = asyncio.create_task(store.append([stored(1)]))
                kept = asyncio.create_task(store.append([stored(2)]))
                await asyncio.sleep(0)
                given_up.cancel()
            async with asyncio.timeout(10):
                return [await kept, await store.append([stored(3)])]

    assert asyncio.run(scenario()) == [1, 1]
    with psycopg.connect(database_url) as conn:
        ids = {str(r[0]) for r in conn.execute("SELECT id FROM events")}
    assert ids >= {"e-2", "e-3"}
