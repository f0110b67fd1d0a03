"""Webhook delivery from partners' inboxes to a receiver on loopback, by the webhooks service as
`tandem up` runs it: one webhook alone, then three partners' webhooks at once, beside a partner
reading the same inbox from `/v1/feed` and bare POSTs to the same receiver in the same run; the
lag from an event entering the inbox to the receiver at 200 events/s; and the lag from the
provider's 202 to the receiver through a whole `tandem up`."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from infra.broker import free_port
from services.settings import Settings
from services.sharing.webhook_store import add_webhook
from services.store.partners import Partner, add_partner
from tests.bench.conftest import Results, gateway_process
from tests.support.servers import service_process, wait_for
from tests.support.sharing_events import AGE_UK, COUNCIL, FOODBANK, MUTUAL_AID
from tests.support.stack_process import StackProcess
from tests.support.webhooks import (
    Receiver,
    agree,
    raised,
    share,
    stack_partnership,
    webhook_receiver,
)

pytestmark = pytest.mark.slow

EVENTS = 10_000
"""Shared with each recipient: each inbox holds this many."""
RECIPIENTS = (COUNCIL, MUTUAL_AID, AGE_UK, "surbiton-larder")
RATE = 200
LAG_SECONDS = 30
TICK = 0.1

Conn = psycopg.Connection[Any]


def feed_rate(url: str, token: str) -> float:
    """Events a second a partner reads its whole inbox at, pages of 1,000."""
    after, read = "0", 0
    started = time.perf_counter()
    with httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=30) as http:
        while read < EVENTS:
            page = http.get(f"{url}/v1/feed", params={"after": after, "limit": 1000}).json()
            read += len(page["events"])
            after = page["cursor"]
    return read / (time.perf_counter() - started)


def bare_rate(clients: int) -> float:
    """Requests a second the same kind of receiver takes from the webhooks' own client, with
    `clients` connections at once and nothing else to do."""
    with webhook_receiver() as receiver:
        flood = ["-m", "tests.support.bare_posts", receiver.url, str(EVENTS), str(clients)]
        done = subprocess.run(
            [sys.executable, *flood],
            capture_output=True,
            text=True,
            check=True,
            timeout=300,
        )
    return float(done.stdout)


def delivery_rate(conn: Conn, receiver: Receiver, recipients: tuple[str, ...]) -> float:
    """Events a second the service delivers every recipient's whole inbox at, from webhooks
    made now; each recipient's events arrive in its inbox order."""
    started = time.perf_counter()
    for recipient in recipients:
        add_webhook(conn, recipient, f"{receiver.url}?to={recipient}", None, 0)
    total = EVENTS * len(recipients)
    wait_for(lambda: receiver.count() >= total, 600, f"{total} deliveries", every=0.2)
    rate = total / (time.perf_counter() - started)
    expected = [f"bench-{n:05d}" for n in range(EVENTS)]
    taken = receiver.taken()
    for recipient in recipients:
        assert [r.event["id"] for r in taken if r.path == f"/hook?to={recipient}"] == expected
    return rate


def test_webhook_delivery_rate_and_lag(
    settings: Settings, tmp_path: Path, results: Results, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TANDEM_WEBHOOK_ALLOW_LOOPBACK", "true")
    quiet = settings.model_copy(update={"log_level": "WARNING"})
    with psycopg.connect(settings.require_database_url()) as conn:
        add_partner(conn, Partner(FOODBANK, "Kingston Foodbank"))
        tokens = {r: add_partner(conn, Partner(r, r)) for r in RECIPIENTS}
        for recipient in RECIPIENTS:
            agree(conn, FOODBANK, recipient)
        events = raised("bench", EVENTS)
        for start in range(0, EVENTS, 2_000):
            share(conn, events[start : start + 2_000])

        with gateway_process(quiet, tmp_path / "gateway.log") as url:
            feed = feed_rate(url, tokens[COUNCIL])

        with service_process("services.webhooks", quiet, tmp_path / "webhooks.log"):
            time.sleep(2)  # the service started and migrated
            with webhook_receiver() as receiver:
                alone = delivery_rate(conn, receiver, RECIPIENTS[:1])
            with webhook_receiver() as receiver:
                together = delivery_rate(conn, receiver, RECIPIENTS[1:])
            bare_alone, bare_together = bare_rate(1), bare_rate(len(RECIPIENTS) - 1)
            with webhook_receiver() as paced:
                add_webhook(conn, COUNCIL, paced.url, None, None)
                time.sleep(1)
                count = paced_lags(conn, paced)
            lags = lags_of(conn, paced)
    p50, p95 = statistics.median(lags), lags[int(0.95 * len(lags))]
    several = len(RECIPIENTS) - 1
    anchor = f"a partner reading the same inbox from /v1/feed, pages of 1,000: {feed:,.0f} events/s"
    results.add(
        "webhook delivery, inbox → receiver on loopback, one webhook (one signed POST per event,"
        " in order)",
        f"{alone:,.0f} events/s ({alone / feed:.2f}× the feed, {alone / bare_alone:.2f}× bare"
        f" POSTs; {EVENTS:,} events)",
        f"{anchor}; the receiver taking bare POSTs from the same client, one connection:"
        f" {bare_alone:,.0f}/s",
        "— (one webhook waits for each answer before the next)",
    )
    results.add(
        f"webhook delivery, inbox → receiver on loopback, {several} partners' webhooks at once",
        f"{together:,.0f} events/s ({together / feed:.2f}× the feed,"
        f" {together / bare_together:.2f}× bare POSTs; {several * EVENTS:,} events, each"
        " partner's in order)",
        f"{anchor}; the receiver taking bare POSTs from the same client, {several} connections:"
        f" {bare_together:,.0f}/s",
        f"≥ 2,000 events/s {'✅' if together >= 2_000 else '❌'}",
    )
    results.add(
        f"webhook delivery lag, inbox → receiver, at {RATE} events/s for {LAG_SECONDS} s",
        f"p50 {p50 * 1000:,.0f} ms, p95 {p95 * 1000:,.0f} ms, max {lags[-1] * 1000:,.0f} ms",
        f"{count / LAG_SECONDS:,.0f} events/s shared into the inbox, {count:,} events",
        f"p95 ≤ 2 s {'✅' if p95 <= 2 else '❌'}",
    )


def paced_lags(conn: Conn, paced: Receiver) -> int:
    """Share RATE events a second for LAG_SECONDS; how many, once the receiver has them all."""
    batch = int(RATE * TICK)
    ticks = 0
    begun = time.monotonic()
    while time.monotonic() - begun < LAG_SECONDS:
        share(conn, raised(f"lag{ticks}", batch))
        ticks += 1
        time.sleep(max(0.0, begun + ticks * TICK - time.monotonic()))
    wait_for(lambda: paced.count() >= ticks * batch, 60, "the paced deliveries", every=0.2)
    return ticks * batch


def lags_of(conn: Conn, paced: Receiver) -> list[float]:
    """Seconds from each event's entering the inbox to its arrival, sorted."""
    shared = dict(
        conn.execute(
            "SELECT event->>'id', extract(epoch FROM shared_at) FROM inbox"
            " WHERE recipient = %s AND event->>'id' LIKE 'lag%%'",
            (COUNCIL,),
        ).fetchall()
    )
    return sorted(r.at - float(shared[r.event["id"]]) for r in paced.taken())


def test_webhook_lag_from_the_202(
    tmp_path: Path, results: Results, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The lag a partner sees: from the provider's 202 to the recipient's receiver, through the
    whole `tandem up` (gateway, relay, broker, router, inbox, webhooks), at RATE events/s."""
    monkeypatch.setenv("TANDEM_WEBHOOK_ALLOW_LOOPBACK", "true")
    port = free_port()
    with StackProcess.up(port, tmp_path / "up.log") as stack, webhook_receiver() as receiver:
        url = f"http://127.0.0.1:{port}"
        provider, recipient = stack_partnership(stack)
        made = httpx.post(
            f"{url}/v1/webhooks",
            json={"url": receiver.url},
            headers={"Authorization": f"Bearer {recipient}"},
            timeout=10,
        )
        assert made.status_code == 201, made.text
        accepted: dict[str, float] = {}
        batch = int(RATE * TICK)
        ticks = 0
        with httpx.Client(headers={"Authorization": f"Bearer {provider}"}, timeout=30) as http:
            begun = time.monotonic()
            while time.monotonic() - begun < LAG_SECONDS:
                events = raised(f"e2e{ticks}", batch)
                answer = http.post(f"{url}/v1/events", json=events)
                assert answer.status_code == 202, answer.text
                accepted.update((event["id"], time.time()) for event in events)
                ticks += 1
                time.sleep(max(0.0, begun + ticks * TICK - time.monotonic()))
        wait_for(lambda: receiver.count() >= len(accepted), 120, "every delivery", every=0.2)
    lags = sorted(r.at - accepted[r.event["id"]] for r in receiver.taken())
    assert len(lags) == len(accepted)
    p50, p95 = statistics.median(lags), lags[int(0.95 * len(lags))]
    results.add(
        f"webhook delivery lag, provider's 202 → recipient's receiver, whole embedded stack, at"
        f" {RATE} events/s for {LAG_SECONDS} s",
        f"p50 {p50 * 1000:,.0f} ms, p95 {p95 * 1000:,.0f} ms, max {lags[-1] * 1000:,.0f} ms",
        f"{len(accepted) / LAG_SECONDS:,.0f} events/s accepted, {len(accepted):,} events; inbox"
        " → receiver alone is the row above",
        f"p95 ≤ 2 s {'✅' if p95 <= 2 else '❌'}",
    )
