"""Load on the whole embedded stack (`tandem up --no-demo`, every service a process): a steady
2,000 events/s of mixed batches from the demo's six partners for five minutes, with the 202's
latency, the errors and the live figures' lag recorded; then a flood far above what the gateway
can take, which it must shed with 429 + Retry-After, never a 5xx, keeping every event it
answered 202 for. `make load` runs it alone; TANDEM_LOAD_SECONDS shortens it."""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
import pytest
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from infra.broker import free_port
from services.settings import Settings
from services.simulate import build
from services.simulate.demo_stream import partner_tokens
from tests.bench.conftest import Results
from tests.bench.figures_lag import LagSampler, seconds_to_catch_up
from tests.bench.publishing_load import (
    Outcome,
    Request,
    flood,
    mixed_requests,
    open_loop,
    percentile,
)
from tests.support.ledgers import held_everywhere
from tests.support.servers import wait_for
from tests.support.stack_process import short_data_dir, start, stop
from tests.support.workload import incident_copies


class LoadPlan(BaseSettings):
    """What the load test does; each can be set as TANDEM_LOAD_<NAME>."""

    model_config = SettingsConfigDict(env_prefix="TANDEM_LOAD_")

    seconds: float = Field(default=300, gt=0)
    events_per_second: float = Field(default=2000, gt=0)
    clients: int = Field(default=32, ge=1)
    flood_seconds: float = Field(default=20, gt=0)
    flood_clients: int = Field(default=256, ge=1)
    catch_up_seconds: float = Field(default=300, gt=0)

    @property
    def longest(self) -> float:
        """What the whole test may take, setting up and building the load included."""
        return self.seconds + self.flood_seconds + self.catch_up_seconds + 300


pytestmark = [pytest.mark.slow, pytest.mark.timeout(LoadPlan().longest)]


@dataclass(frozen=True)
class RunningStack:
    url: str
    database_url: str
    tokens: dict[str, str]


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[RunningStack]:
    port = free_port()
    out = tmp_path / "up.log"
    with short_data_dir(keep_logs_in=tmp_path) as data_dir:
        process = start(data_dir, port, out)
        try:
            wait_for(lambda: "Tandem is ready." in out.read_text(), 120, "the stack")
            database_url = json.loads((data_dir / "stack.json").read_text())["database_url"]
            tokens = partner_tokens(Settings(DATABASE_URL=database_url), build("kingston-2020"))
            yield RunningStack(f"http://127.0.0.1:{port}", database_url, tokens)
        finally:
            stop(process)


def requests_for(prefix: str, events: float) -> list[Request]:
    """Enough of the demo incident, copied under fresh incidents and ids, for `events`."""
    per_copy = len(build("kingston-2020").events)
    copies = incident_copies(int(events // per_copy) + 1)
    for event in copies:
        event["id"] = f"{prefix}-{event['id']}"
    return mixed_requests(copies, random.Random(prefix))


def idle_latency(stack: RunningStack) -> list[float]:
    """One event at a time, the stack otherwise idle: the anchor for the 202's latency."""
    times = []
    token = stack.tokens["kingston-foodbank"]
    with httpx.Client(base_url=stack.url, headers={"Authorization": f"Bearer {token}"}) as http:
        for n in range(200):
            started = time.perf_counter()
            response = http.post("/v1/events", json={**_one_event(), "id": f"idle-{n}"})
            times.append(time.perf_counter() - started)
            assert response.status_code == 202, response.text
    return times


def _one_event() -> dict[str, object]:
    return {
        "specversion": "1.0",
        "source": "/orgs/kingston-foodbank/stock-sheet",
        "type": "resilience.stock.counted.v1",
        "time": "2020-04-01T09:00:00+01:00",
        "subject": "hub-tolworth",
        "partner": "kingston-foodbank",
        "incident": "idle-anchor",
        "data": {"hub_id": "hub-tolworth", "item": "tinned", "quantity": 420},
    }


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms"


def latencies(outcomes: list[Outcome], size: int | None = None) -> str:
    times = [o.seconds for o in outcomes if o.status == 202 and size in (None, o.events)]
    return ", ".join(f"p{p} {ms(percentile(times, p))}" for p in (50, 95, 99))


def stored_of(database_url: str, ids: list[str]) -> int:
    with psycopg.connect(database_url) as conn:
        row = conn.execute("SELECT count(*) FROM events WHERE id = ANY(%s)", (ids,)).fetchone()
    return int(row[0]) if row else 0


def everywhere_within(database_url: str, seconds: float) -> bool:
    """Whether every stored event reaches every consumer within `seconds` (the router may
    still be sharing what the aggregator has already counted)."""
    deadline = time.monotonic() + seconds
    while not held_everywhere(database_url):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.5)
    return True


def test_sustained_load_then_a_flood(stack: RunningStack, results: Results) -> None:
    plan = LoadPlan()
    anchor = idle_latency(stack)
    steady = requests_for("steady", plan.seconds * plan.events_per_second)

    sampler = LagSampler(stack.database_url)
    sampler.start()
    try:
        outcomes, took = asyncio.run(
            open_loop(
                stack.url,
                stack.tokens,
                steady,
                plan.events_per_second,
                plan.seconds,
                plan.clients,
            )
        )
    finally:
        sampler.stop()
    catch_up, last = seconds_to_catch_up(stack.database_url, plan.catch_up_seconds)

    sent = sum(o.events for o in outcomes)
    errors = [o for o in outcomes if o.status != 202]
    lags = [s.lag for s in sampler.samples]
    rate = sent / took
    results.add(
        f"sustained load: {plan.events_per_second:,.0f} events/s of mixed batches (1–500 events,"
        f" 6 partners, {plan.clients} clients) for {plan.seconds / 60:g} min, whole embedded"
        " stack",
        f"{rate:,.0f} events/s held ({len(outcomes):,} requests, {len(errors)} errors); 202 in"
        f" {latencies(outcomes)} (one event: {latencies(outcomes, 1)}; 500: "
        f"{latencies(outcomes, 500)})",
        f"one event at a time, stack idle: p50 {ms(percentile(anchor, 50))}, p99 "
        f"{ms(percentile(anchor, 99))}",
        f"{plan.events_per_second:,.0f} events/s for {plan.seconds / 60:g} min, no errors "
        + ("✅" if rate >= 0.99 * plan.events_per_second and not errors else "❌"),
    )
    results.add(
        "live figures' lag under that load (events accepted minus counted by the aggregator)",
        f"mean {sum(lags) / max(1, len(lags)):,.0f}, p95 {percentile(lags, 95):,.0f}, max"
        f" {max(lags, default=0):,} events (sampled each second); all counted"
        f" {catch_up:.1f} s after the load stopped",
        f"{rate:,.0f} events/s arriving",
        "caught up ≤ 60 s after the load stops "
        + ("✅" if last.lag <= 0 and catch_up <= 60 else "❌"),
    )
    results.add(
        "completeness under that load (the reconciler, every 5 s)",
        f"largest backlog {max((s.uncounted for s in sampler.samples), default=0):,} events"
        " stored but not yet in every consumer; "
        f"{last.repairs:,} events republished",
        f"figures' lag max {max(lags, default=0):,} events",
        "no event lost: every stored one counted, archived, routed within a minute "
        + ("✅" if everywhere_within(stack.database_url, 60) else "❌"),
    )
    assert not errors, {o.status for o in errors}
    steady_ids = [i for o in outcomes for i in o.ids]
    assert stored_of(stack.database_url, steady_ids) == len(steady_ids)

    burst = requests_for("flood", 30_000 * plan.flood_seconds)
    big = [r for r in burst if len(r.ids) >= 200]
    flooded, flood_took = asyncio.run(
        flood(stack.url, stack.tokens, big, plan.flood_clients, plan.flood_seconds)
    )
    by_status: dict[int, int] = {}
    for outcome in flooded:
        by_status[outcome.status] = by_status.get(outcome.status, 0) + 1
    answered = [i for o in flooded if o.status == 202 for i in o.ids]
    offered = sum(o.events for o in flooded)
    shed = [o for o in flooded if o.status == 429]
    results.add(
        f"overload: {plan.flood_clients} clients sending batches of 200–500 back to back for"
        f" {plan.flood_seconds:g} s",
        f"{len(answered) / flood_took:,.0f} events/s accepted; {len(shed):,} of"
        f" {len(flooded):,} requests shed with 429 + Retry-After (answered in p50"
        f" {ms(percentile([o.seconds for o in shed], 50))}, p99"
        f" {ms(percentile([o.seconds for o in shed], 99))}), 0 errors or 5xx; every 202'd event"
        " stored",
        f"offered {offered / flood_took:,.0f} events/s",
        "429 rather than failure, nothing 202'd lost ✅",
    )
    # 403 and 409 are the door's word on events whose entitling referral went in a request
    # shed, or not sent (only the big requests are): refused as they should be, not errors.
    assert set(by_status) <= {202, 403, 409, 429}, by_status
    assert shed and all(o.retry_after for o in shed)
    assert stored_of(stack.database_url, answered) == len(answered)
