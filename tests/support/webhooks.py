"""Webhook tests' servers: a real HTTP receiver on loopback (aiohttp) that answers as a test
says — taking, failing, never answering — and the deliverer run in a thread on a clock the test
moves."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import psycopg
import uvloop
from aiohttp import web
from psycopg_pool import AsyncConnectionPool

from infra.broker import free_port
from services.settings import Settings
from services.sharing.agreements import UK, Terms
from services.sharing.store import add_agreement, share_batch
from services.webhooks.deliverer import Deliverer
from tests.support.servers import run_tandem, wait_for
from tests.support.sharing_events import COUNCIL, FOODBANK, RAISED, accept, request_event
from tests.support.stack_process import StackProcess

HANG = 0
"""An answer that is never given: the receiver holds the request open until it stops."""


@dataclass(frozen=True)
class Received:
    path: str
    """With its query."""
    headers: dict[str, str]
    body: bytes
    at: float
    """time.time() when it arrived."""
    status: int
    """What the receiver answered (HANG: nothing)."""

    @property
    def event(self) -> dict[str, Any]:
        decoded: dict[str, Any] = orjson.loads(self.body)
        return decoded


@dataclass
class Receiver:
    url: str
    answer: Callable[[int], int]
    """The status to answer to the n-th request (from 1), or HANG."""
    requests: list[Received] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def taken(self) -> list[Received]:
        """The requests answered with a 2xx, in the order they arrived."""
        with self._lock:
            return [r for r in self.requests if 200 <= r.status < 300]

    def taken_ids(self) -> list[str]:
        return [r.event["id"] for r in self.taken()]

    def count(self) -> int:
        with self._lock:
            return len(self.requests)

    def arrived(self, path: str, headers: dict[str, str], body: bytes) -> int:
        """Record a request; the status to answer it with."""
        with self._lock:
            status = self.answer(len(self.requests) + 1)
            self.requests.append(Received(path, headers, body, time.time(), status))
            return status


def always(status: int) -> Callable[[int], int]:
    return lambda _: status


TAKE = always(200)


@contextmanager
def webhook_receiver(answer: Callable[[int], int] = TAKE) -> Iterator[Receiver]:
    """A receiver at http://127.0.0.1:PORT/hook, served from its own thread and event loop."""
    port = free_port()
    receiver = Receiver(f"http://127.0.0.1:{port}/hook", answer)
    loop = uvloop.new_event_loop()  # as a receiver of its own would: quick enough to measure by
    started = threading.Event()
    stopping = asyncio.Event()

    async def hook(request: web.Request) -> web.Response:
        status = receiver.arrived(request.path_qs, dict(request.headers), await request.read())
        if status == HANG:
            await stopping.wait()
        return web.Response(status=status or 503)

    async def serve() -> None:
        app = web.Application()
        app.router.add_post("/hook", hook)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        started.set()
        await stopping.wait()
        await runner.cleanup()

    thread = threading.Thread(target=loop.run_until_complete, args=(serve(),), daemon=True)
    thread.start()
    started.wait(10)
    try:
        yield receiver
    finally:
        loop.call_soon_threadsafe(stopping.set)
        thread.join(10)


@dataclass
class Clock:
    """A clock a test moves on: real time passing, plus what the test added."""

    ahead: timedelta = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.ahead

    def advance(self, by: timedelta) -> None:
        self.ahead += by


def local_settings(settings: Settings, timeout: float = 5.0) -> Settings:
    """`settings` with loopback receivers allowed, as for tests and local use."""
    return settings.model_copy(
        update={"webhook_allow_loopback": True, "webhook_timeout_seconds": timeout}
    )


@contextmanager
def running_deliverer(settings: Settings, clock: Clock | None = None) -> Iterator[None]:
    """The deliverer of `services.webhooks`, in a thread, on `clock`."""
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    failure: list[BaseException] = []

    async def run() -> None:
        async with AsyncConnectionPool(
            settings.require_database_url(), min_size=1, max_size=8, open=False
        ) as pool:
            deliverer = Deliverer(settings, pool, clock or Clock())
            try:
                await deliverer.run(stop)
            except BaseException as exc:
                failure.append(exc)
                raise

    thread = threading.Thread(target=loop.run_until_complete, args=(run(),), daemon=True)
    thread.start()
    try:
        yield
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(20)
    assert not failure, failure


def wait_for_ids(receiver: Receiver, count: int, timeout: float = 20.0) -> list[str]:
    """The ids of the first `count` events the receiver took, once it has taken that many."""

    def enough() -> list[str] | None:
        ids = receiver.taken_ids()
        return ids[:count] if len(ids) >= count else None

    return wait_for(enough, timeout, f"{count} deliveries")


def agree(conn: psycopg.Connection[Any], provider: str, recipient: str) -> str:
    """An agreement, in force from now, sharing `provider`'s raised requests with `recipient`."""
    today = datetime.now(UK).date()
    terms = Terms(
        provider,
        recipient,
        (RAISED,),
        ("request_id", "need", "area"),
        "plan food deliveries",
        False,
        today - timedelta(days=1),
        today + timedelta(days=90),
    )
    return add_agreement(conn, terms).id


def raised(prefix: str, count: int, partner: str = FOODBANK) -> list[dict[str, Any]]:
    return [
        request_event("raised", f"{prefix}-{n:05d}", partner, n % 600, request_id=f"{prefix}-{n}")
        for n in range(count)
    ]


def share(conn: psycopg.Connection[Any], events: list[dict[str, Any]]) -> None:
    """Accept `events` into the store and share them as the router does, committed."""
    share_batch(conn, accept(conn, events))
    conn.commit()


def stack_partnership(stack: StackProcess) -> tuple[str, str]:
    """On a running `tandem up`: the foodbank and the council registered, the foodbank's raised
    requests shared with the council from now on; their tokens."""

    def tandem(*args: str) -> str:
        done = run_tandem({"TANDEM_DATA_DIR": str(stack.data_dir), "DATABASE_URL": ""}, *args)
        assert done.returncode == 0, done.stderr
        return done.stdout

    provider = tandem("partner", "add", FOODBANK, "--name", "Kingston Foodbank").split()[-1]
    recipient = tandem("partner", "add", COUNCIL, "--name", "Royal Borough").split()[-1]
    tandem(
        "agreement", "add", "--from", FOODBANK, "--to", COUNCIL, "--types", RAISED,
        "--fields", "request_id,need", "--purpose", "plan food deliveries",
        "--review-by", "2099-01-01",
    )  # fmt: skip
    return provider, recipient
