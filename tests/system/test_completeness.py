"""A large incident posted flat out: every event the store accepted reaches the archive, the
live figures and the router, and every share reaches its partner's inbox topic.

About 124,000 events (the demo incident, four copies interleaved in time, 5% re-sent) go in
batches of 500 from eight clients as fast as the gateway takes them, on a `tandem up` of its
own. Before the flood the relay is stopped (SIGSTOP) and PostgreSQL's transaction ids are
brought just short of a power of ten; the relay goes on once thousands of events wait. That is
how the relay once lost whole transactions for good: it sorted a batch by its position's text,
'1000' before '999', and the position then passed over the rest (README, "Why a 202 is never
lost"). Then the test waits for every consumer and compares each with the store.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import orjson
import psycopg
import pytest

from infra.broker import free_port
from services.client.publisher import Publisher, PublishRefused
from services.simulate import build
from services.simulate.demo_stream import partner_tokens, waves
from tests.support.ledgers import missing_downstream
from tests.support.servers import wait_for
from tests.support.stack_process import StackProcess
from tests.support.topics import read_records
from tests.support.workload import one_big_incident

pytestmark = pytest.mark.soak

COPIES = 4
EVENTS = 118_000
RESENT = 0.05
BATCH = 500
WINDOW = 8000  # events cut into waves of batches at a time
CLIENTS = 8
RELAY_RESUMES_AFTER = 15_000  # events stored while the relay is stopped
SETTLE_SECONDS = 600.0

Conn = psycopg.Connection[Any]
Batch = tuple[str, list[dict[str, Any]]]


def incident() -> list[dict[str, Any]]:
    events = one_big_incident(COPIES, "flood-2020")[:EVENTS]
    rng = random.Random(13)
    return events + rng.sample(events, int(len(events) * RESENT))


def count(conn: Conn, sql: str) -> int:
    row = conn.execute(sql).fetchone()
    return int(row[0]) if row else 0


def bring_transaction_ids_short_of_a_power_of_ten(conn: Conn, short_by: int) -> int:
    """Use up transaction ids until the next is `short_by` below a power of ten; return it."""
    now = count(conn, "SELECT pg_current_xact_id()::text::bigint")
    conn.rollback()
    target = 10 ** len(str(now)) - short_by
    if target <= now:
        target = 10 ** (len(str(now)) + 1) - short_by
    conn.autocommit = True
    conn.execute(
        "CREATE PROCEDURE pg_temp.use_ids(n int) LANGUAGE plpgsql AS $$"
        " BEGIN FOR i IN 1..n LOOP PERFORM pg_current_xact_id(); COMMIT; END LOOP; END $$"
    )
    conn.execute("CALL pg_temp.use_ids(%s)", (target - now - 1,))
    return target + short_by


def test_a_flood_of_120000_events_reaches_every_consumer(tmp_path: Path) -> None:
    events = incident()
    with StackProcess.up(free_port(), tmp_path / "tandem-up.log") as stack:
        settings = stack.settings()
        tokens = partner_tokens(settings, build("kingston-2020"))
        batches = _in_waves(events, random.Random(5))
        relay = stack.services()["relay"]
        relay.suspend()
        with psycopg.connect(settings.require_database_url()) as conn:
            boundary = bring_transaction_ids_short_of_a_power_of_ten(conn, short_by=40)
            refused = _flood(settings.gateway_url, tokens, batches, conn, relay.resume)
            assert refused == 0
            stored = count(conn, "SELECT count(*) FROM events")
            crossed = count(conn, f"SELECT count(*) FROM events WHERE tx >= '{boundary}'")
            assert stored > 100_000 and 0 < crossed < stored, (stored, crossed, boundary)

            def every_consumer_holds_every_event() -> bool:
                return not any(missing_downstream(conn).values())

            started = time.monotonic()
            wait_for(every_consumer_holds_every_event, SETTLE_SECONDS, "every consumer")
            settled = time.monotonic() - started
            duplicates = count(
                conn, "SELECT count(*) - count(DISTINCT (source, id)) FROM counted_events"
            )
            assert duplicates == 0
            assert count(conn, "SELECT count(*) FROM archive") == stored
            assert count(conn, "SELECT count(*) FROM counted_events WHERE run = 'live'") == stored
            assert count(conn, "SELECT count(*) FROM routed_events") == stored
            inbox = _inbox_rows(conn)
            repairs = count(conn, "SELECT repairs_total FROM completeness")
        assert _inbox_topics(settings, inbox) == inbox
    print(
        f"\n{len(events):,} events posted, {refused:,} refused; {stored:,} stored across"
        f" transaction id {boundary:,}; every consumer complete {settled:.0f} s after the"
        f" flood; {repairs} events republished by the reconciler"
    )


def _in_waves(events: list[dict[str, Any]], rng: random.Random) -> list[list[Batch]]:
    """Each WINDOW of events as waves of batches (services.simulate.demo_stream.waves): the
    batches of a wave go at once, in shuffled order, and a wave only once the one before is
    stored, as a partner takes on a request only once it was referred to it (another order would
    see its batch refused whole: services/authority)."""
    found = []
    for start in range(0, len(events), WINDOW):
        for wave in waves(events[start : start + WINDOW]):
            batches = [
                (partner, mine[n : n + BATCH])
                for partner, mine in wave.items()
                for n in range(0, len(mine), BATCH)
            ]
            rng.shuffle(batches)
            found.append(batches)
    return found


def _flood(
    url: str,
    tokens: dict[str, str],
    waves: list[list[Batch]],
    conn: Conn,
    resume_relay: Callable[[], None],
) -> int:
    """Post every wave's batches, CLIENTS at a time; resume the relay once enough wait; return
    how many events were refused (none should be: every event is its partner's to publish)."""
    publishers = {partner: Publisher(url, token) for partner, token in tokens.items()}
    refused = 0
    resumed = False

    def post(batch: Batch) -> int:
        try:
            publishers[batch[0]].publish_batch(batch[1])
        except PublishRefused:
            return len(batch[1])
        return 0

    with ThreadPoolExecutor(CLIENTS) as pool:
        posted = (outcome for wave in waves for outcome in pool.map(post, wave))
        for n, outcome in enumerate(posted):
            refused += outcome
            if (
                not resumed
                and n % 10 == 0
                and count(conn, "SELECT count(*) FROM events") > (RELAY_RESUMES_AFTER)
            ):
                resume_relay()
                resumed = True
    if not resumed:
        resume_relay()
    for publisher in publishers.values():
        publisher.close()
    return refused


def _inbox_rows(conn: Conn) -> set[tuple[str, str, str]]:
    return {
        (str(r), str(s), str(i))
        for r, s, i in conn.execute("SELECT recipient, source, id FROM inbox")
    }


def _inbox_topics(settings: Any, rows: set[tuple[str, str, str]]) -> set[tuple[str, str, str]]:
    """What each partner's inbox topic holds, as (recipient, source, id)."""
    found: set[tuple[str, str, str]] = set()
    for recipient in sorted({r for r, _, _ in rows}):
        wanted = sum(1 for r, _, _ in rows if r == recipient)
        for record in read_records(settings, f"partner.{recipient}.inbox", wanted):
            event = orjson.loads(record.value)
            found.add((recipient, event["source"], event["id"]))
    return found
