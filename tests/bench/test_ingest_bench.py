"""Durable ingest through the gateway, beside the raw PostgreSQL COPY rate."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import orjson
import psycopg
import pytest

from services.settings import Settings
from services.store.partners import Partner, add_partner
from tests.bench.conftest import Results, gateway_process
from tests.support.events_store import STORE_COLUMNS, sample_event, store_row

pytestmark = pytest.mark.slow

BATCH_EVENTS = 100_000
SINGLE_REQUESTS = 15_000


def events(prefix: str, count: int) -> list[dict[str, object]]:
    made = []
    for n in range(count):
        event = sample_event(n)
        event["id"] = f"{prefix}-{n}"
        made.append(event)
    return made


@pytest.fixture
def gateway(settings: Settings, tmp_path: Path) -> Iterator[tuple[str, str]]:
    with psycopg.connect(settings.database_url) as conn:
        token = add_partner(conn, Partner("kingston-foodbank", "Kingston Foodbank"))
    with gateway_process(settings, tmp_path / "gateway.log") as url:
        yield url, token


def copy_rate(database_url: str, count: int) -> float:
    rows = [store_row(e) for e in events("copy", count)]
    with psycopg.connect(database_url) as conn:
        # the same table shape, keys and indexes as the event store, logged and durable
        conn.execute("CREATE TABLE copy_bench (LIKE events INCLUDING ALL)")
        started = time.perf_counter()
        with conn.cursor().copy(f"COPY copy_bench ({STORE_COLUMNS}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        conn.commit()
        return count / (time.perf_counter() - started)


async def post_all(url: str, token: str, bodies: list[bytes], media: str, workers: int) -> float:
    """Seconds to post every body with `workers` concurrent keep-alive connections.

    aiohttp, not httpx: httpx's async pool tops out near 400 requests/s here and would measure
    itself rather than the gateway."""
    queue = list(reversed(bodies))
    headers = {"Authorization": f"Bearer {token}", "Content-Type": media}
    connector = aiohttp.TCPConnector(limit=workers)
    async with aiohttp.ClientSession(url, headers=headers, connector=connector) as http:

        async def worker() -> None:
            while queue:
                async with http.post("/v1/events", data=queue.pop()) as response:
                    assert response.status == 202, await response.text()

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(workers)))
        return time.perf_counter() - started


def test_durable_ingest_rates(
    gateway: tuple[str, str], settings: Settings, results: Results
) -> None:
    url, token = gateway
    anchor = copy_rate(str(settings.database_url), BATCH_EVENTS)

    batch = events("batch", BATCH_EVENTS)
    bodies = [orjson.dumps(batch[i : i + 500]) for i in range(0, BATCH_EVENTS, 500)]
    took = asyncio.run(post_all(url, token, bodies, "application/cloudevents-batch+json", 4))
    batch_rate = BATCH_EVENTS / took

    singles = [orjson.dumps(e) for e in events("single", SINGLE_REQUESTS)]
    took = asyncio.run(post_all(url, token, singles, "application/cloudevents+json", 32))
    single_rate = SINGLE_REQUESTS / took

    with psycopg.connect(settings.database_url) as conn:
        row = conn.execute("SELECT count(*) FROM events").fetchone()
    assert row is not None and row[0] == BATCH_EVENTS + SINGLE_REQUESTS

    copy = f"PostgreSQL COPY {anchor:,.0f} rows/s"
    results.add(
        "durable ingest, batches of 500 (202 after commit)",
        f"{batch_rate:,.0f} events/s ({batch_rate / anchor:.2f}× COPY)",
        copy,
        "≥ 20,000 events/s " + ("✅" if batch_rate >= 20_000 else "❌"),
    )
    results.add(
        "durable ingest, one event per request (32 clients)",
        f"{single_rate:,.0f} requests/s",
        copy,
        "≥ 1,500 requests/s " + ("✅" if single_rate >= 1_500 else "❌"),
    )
