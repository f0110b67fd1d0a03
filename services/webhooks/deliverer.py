"""Delivers each webhook's inbox to its endpoint: one task per webhook, so a slow or dead
endpoint holds up only its own webhook.

A round reads the webhook's state and the next page of its partner's inbox, POSTs the events one
at a time in inbox order until one fails, then records the position reached and the outcome in
one statement. A delivery is recorded after it succeeds, so a deliverer stopped between the two
sends that event again (at least once; the `webhook-id` lets the receiver drop the repeat).
The rules — signing, retries, parking, which URLs — are `services.sharing`'s; the clock is
given, so a test can move it on a day.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import aiohttp
from psycopg_pool import AsyncConnectionPool

from services.settings import Settings
from services.sharing import webhook_store as store
from services.sharing.store import READ_INBOX_SQL, InboxEntry
from services.sharing.webhook_urls import UrlRefused, checked, pinned
from services.sharing.webhooks import GONE, Failing, body, delivery_id, failed, headers

log = logging.getLogger(__name__)

PAGE = 100
ANSWER_BYTES = 64 * 1024
"""Of an answer's body, read only so its connection can carry the next delivery; a longer one
costs the connection rather than the memory."""
IDLE_SECONDS = 0.25
"""How often a caught-up webhook looks for new inbox events (as often as the feed's long poll
does): the most it adds to their lag."""
RELOAD_SECONDS = 0.5
"""How often the set of webhooks is read again (one made or resumed starts within this)."""

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Round:
    position: int
    delivered: int
    failing: Failing | None


class Deliverer:
    def __init__(
        self,
        settings: Settings,
        pool: AsyncConnectionPool,
        clock: Clock = utc_now,
        rng: random.Random | None = None,
    ) -> None:
        self.pool = pool
        self.clock = clock
        self.rng = rng or random.Random()
        self.window = timedelta(hours=settings.webhook_retry_hours)
        self.timeout = settings.webhook_timeout_seconds
        self.allow_loopback = settings.webhook_allow_loopback
        self._tasks: dict[str, asyncio.Task[None]] = {}

    async def run(self, stop: asyncio.Event) -> None:
        """Keep one task per webhook still delivering until `stop` is set."""
        try:
            while not stop.is_set():
                async with self.pool.connection() as conn:
                    rows = await (await conn.execute(store.ACTIVE_SQL)).fetchall()
                active = {str(row[0]) for row in rows}
                for webhook_id in active - self._tasks.keys():
                    self._tasks[webhook_id] = asyncio.create_task(self.follow(webhook_id))
                for webhook_id, task in list(self._tasks.items()):
                    if task.done():
                        del self._tasks[webhook_id]
                        failure = None if task.cancelled() else task.exception()
                        if failure is not None:
                            raise failure  # crash-only: the supervisor starts us again
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), RELOAD_SECONDS)
        finally:
            for task in self._tasks.values():
                task.cancel()
            await asyncio.gather(*self._tasks.values(), return_exceptions=True)

    async def follow(self, webhook_id: str) -> None:
        """Deliver one webhook until it is removed or parked."""
        async with aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=1),
            timeout=aiohttp.ClientTimeout(total=self.timeout),
            headers={"user-agent": "Tandem-Webhooks/1"},
        ) as client:
            while True:
                async with self.pool.connection() as conn:
                    row = await (await conn.execute(store.STATE_SQL, (webhook_id,))).fetchone()
                    if row is None:
                        return
                    state = store.delivery_state(row)
                    due = state.failing is None or (
                        state.failing.next_attempt_at is not None
                        and state.failing.next_attempt_at <= self.clock()
                    )
                    entries = []
                    if due:
                        after = (state.partner, state.position, PAGE)
                        page = await conn.execute(READ_INBOX_SQL, after)
                        entries = [InboxEntry(*r) for r in await page.fetchall()]
                if not entries:
                    await asyncio.sleep(IDLE_SECONDS)
                    continue
                done = await self._deliver(client, webhook_id, state, entries)
                params = store.record_params(
                    webhook_id,
                    state.position,
                    done.position,
                    done.delivered,
                    done.failing,
                    self.clock(),
                )
                async with self.pool.connection() as conn:
                    await conn.execute(store.RECORD_SQL, params)
                if done.failing is not None:
                    self._log_failure(webhook_id, state.partner, done.failing)

    async def _deliver(
        self,
        client: aiohttp.ClientSession,
        webhook_id: str,
        state: store.DeliveryState,
        entries: list[InboxEntry],
    ) -> Round:
        position, delivered = state.position, 0
        try:
            target, address = await asyncio.to_thread(
                checked, state.url, allow_loopback=self.allow_loopback
            )
        except UrlRefused as exc:
            return Round(position, 0, self._failed(state.failing, f"refused: {exc}"))
        url, host = pinned(target, address)
        server_name = target.host if target.scheme == "https" else None
        for entry in entries:
            if state.types is not None and entry.event.get("type") not in state.types:
                position = entry.seq
                continue
            content = body(entry.event)
            delivery = delivery_id(webhook_id, entry.seq)
            # The receiver checks the timestamp against its own clock: the real one, always.
            signed = headers(state.secret, delivery, int(time.time()), content)
            signed["host"] = host
            error, gone = await self._post(client, url, server_name, signed, content)
            if error is not None:
                return Round(position, delivered, self._failed(state.failing, error, gone=gone))
            position, delivered = entry.seq, delivered + 1
        return Round(position, delivered, None)

    async def _post(
        self,
        client: aiohttp.ClientSession,
        url: str,
        server_name: str | None,
        signed: dict[str, str],
        content: bytes,
    ) -> tuple[str | None, bool]:
        """POST one delivery; (None, False) when the receiver took it, else why not and whether
        it said the endpoint is gone."""
        try:
            async with client.post(
                url,
                data=content,
                headers=signed,
                allow_redirects=False,
                server_hostname=server_name,
            ) as response:
                status = response.status
                await _drain(response)
        except TimeoutError:
            return f"no answer within {self.timeout:g} s", False
        except aiohttp.ClientError as exc:
            return f"{type(exc).__name__}: {exc}".strip().rstrip(":"), False
        if 200 <= status < 300:
            return None, False
        return f"HTTP {status}", status == GONE

    def _failed(self, before: Failing | None, error: str, *, gone: bool = False) -> Failing:
        return failed(before, error, self.clock(), self.window, self.rng, gone=gone)

    @staticmethod
    def _log_failure(webhook_id: str, partner: str, failing: Failing) -> None:
        extra = {
            "webhook": webhook_id,
            "partner": partner,
            "attempts": failing.attempts,
            "error": failing.error,
        }
        if failing.parked:
            log.warning("webhook parked: retried for its whole window", extra=extra)
        else:
            log.info("webhook delivery failed; will retry", extra=extra)


async def _drain(response: aiohttp.ClientResponse) -> None:
    read = 0
    async for chunk in response.content.iter_chunked(16 * 1024):
        read += len(chunk)
        if read > ANSWER_BYTES:
            return
