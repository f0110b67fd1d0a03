"""`tandem publish` of a 100,000-row case-system export, end to end (read, map, check every
row, send, every event accepted), beside the gateway's rate for the same events pre-built and
sent by the client with the same batches: what reading and checking the file costs."""

from __future__ import annotations

import asyncio
import csv
import os
import random
import subprocess
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from services.client.publisher import AsyncPublisher, PublishResult
from services.publishing.check import check_file
from services.publishing.mapping import load_mapping
from services.settings import Settings
from services.store.partners import Partner, add_partner
from tests.bench.conftest import Results, gateway_process
from tests.support.partner_gateway import COUNCIL, EXAMPLES
from tests.support.servers import TANDEM

pytestmark = pytest.mark.slow

ROWS = 100_000
BATCH = "2000"
MAPPING = EXAMPLES / "council-cases.mapping.yaml"


def case_export(path: Path, rows: int) -> Path:
    """A council case-system export shaped like the example, one event per row (open cases)."""
    rng = random.Random(2020)
    codes = {
        name: list(cell.values or {})
        for name, cell in load_mapping(MAPPING).events[0].data.items()
        if cell.values
    }
    wards = ["Norbiton", "Tolworth and Hook Rise", "Berrylands", "Grove", "Old Malden", "Canbury"]
    header = (EXAMPLES / "council-cases.csv").read_text().splitlines()[0].split(",")
    start = datetime(2020, 3, 23, 8, 0)
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        for n in range(rows):
            logged = start + timedelta(seconds=37 * n)
            writer.writerow(
                [
                    f"CR-2020-{n:06d}",
                    f"{logged:%d/%m/%Y %H:%M}",
                    rng.choice(codes["need"]),
                    rng.choice(codes["priority"]),
                    rng.choice(wards),
                    rng.randint(1, 6),
                    rng.choice("YN"),
                    rng.choice(codes["channel"]),
                    f"RES-{rng.randint(1, 99_999):05d}",
                    rng.choice(["New", "Allocated"]),
                    "",
                    "Community Hub",
                    "",
                ]
            )
    return path


@pytest.fixture
def council_gateway(settings: Settings, tmp_path: Path) -> Iterator[tuple[str, str]]:
    with psycopg.connect(settings.require_database_url()) as conn:
        token = add_partner(conn, Partner(COUNCIL, "Royal Borough of Kingston"))
    with gateway_process(settings, tmp_path / "gateway.log") as url:
        yield url, token


def client_rate(url: str, token: str, export: Path) -> float:
    """Events/s of the same events, already built, sent as `tandem publish` sends them."""
    events = check_file(export, load_mapping(MAPPING)).events
    for event in events:
        event["id"] = f"anchor-{event['id']}"

    async def send() -> PublishResult:
        async with AsyncPublisher(url, token, batch_size=int(BATCH), concurrency=4) as client:
            return await client.publish(events)

    started = time.perf_counter()
    result = asyncio.run(send())
    took = time.perf_counter() - started
    assert result.accepted == len(events) == ROWS
    return ROWS / took


def test_publish_a_large_export(
    council_gateway: tuple[str, str], settings: Settings, tmp_path: Path, results: Results
) -> None:
    url, token = council_gateway
    export = case_export(tmp_path / "cases.csv", ROWS)
    anchor = client_rate(url, token, export)

    env = {**os.environ, "TANDEM_GATEWAY_URL": url, "TANDEM_TOKEN": token}
    env["TANDEM_DATA_DIR"] = str(tmp_path)
    command = [TANDEM, "publish", str(export), "--mapping", str(MAPPING), "--batch-size", BATCH]
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    took = time.perf_counter() - started
    assert done.returncode == 0, done.stderr
    assert done.stdout == (
        f"cases.csv: {ROWS} events from {ROWS} rows: {ROWS} accepted, 0 duplicates\n"
    )
    with psycopg.connect(settings.require_database_url()) as conn:
        stored = conn.execute("SELECT count(*) FROM events").fetchone()
    assert stored == (2 * ROWS,)

    rate = ROWS / took
    results.add(
        f"tandem publish, {ROWS:,} CSV rows through a mapping, end to end",
        f"{rate:,.0f} events/s ({took:.1f} s, {rate / anchor:.2f}× the anchor)",
        f"the same events pre-built, sent by the client: {anchor:,.0f} events/s",
        "≥ 10,000 events/s " + ("✅" if rate >= 10_000 else "❌"),
    )
