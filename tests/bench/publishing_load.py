"""Load for the gateway: partners' requests of mixed sizes, sent on a schedule (open loop, as
independent partners' systems send whatever the gateway's speed) or as fast as many clients can
(a flood), with every answer and its latency recorded."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp
import orjson

SIZES = (1, 10, 50, 200, 500)
SIZE_WEIGHTS = (45, 25, 15, 10, 5)
"""Requests: most carry one event (a case system posting as things happen), some are uploads."""


@dataclass(frozen=True)
class Request:
    partner: str
    body: bytes
    ids: tuple[str, ...]
    after: frozenset[int] = frozenset()
    """Earlier requests (by position) with the latest events about the same subjects: one may
    hold a referral this partner's events need stored first (services/authority)."""


@dataclass(frozen=True)
class Outcome:
    events: int
    status: int  # 0: no answer (connection failed or timed out)
    seconds: float
    accepted: int
    retry_after: str | None
    ids: tuple[str, ...]


def mixed_requests(
    events: Iterable[dict[str, Any]],
    rng: random.Random,
    sizes: Sequence[int] = SIZES,
    weights: Sequence[int] = SIZE_WEIGHTS,
) -> list[Request]:
    """The events as requests of one partner each, of `sizes` drawn by `weights`; a request
    goes when its partner has gathered enough events, so partners interleave as events come.
    An event about what another partner's gathering request also speaks of sends that one
    first, and its request is to follow it (`after`): the other's may be the referral that
    entitles it."""
    gathering: dict[str, list[dict[str, Any]]] = {}
    follows: dict[str, set[int]] = {}
    wanted: dict[str, int] = {}
    last: dict[tuple[str, str], tuple[str, int | None]] = {}  # subject: partner, its request
    requests: list[Request] = []

    def send(partner: str) -> None:
        batch = gathering.pop(partner)
        for event in batch:
            about = (event["incident"], event["subject"])
            if last[about] == (partner, None):
                last[about] = (partner, len(requests))
        requests.append(_request(partner, batch, follows.pop(partner, set())))
        wanted[partner] = rng.choices(sizes, weights)[0]

    for event in events:
        partner, about = event["partner"], (event["incident"], event["subject"])
        before, where = last.get(about, (partner, None))
        if where is None and before != partner:
            send(before)
            where = len(requests) - 1
        if where is not None:  # its own earlier request too: that one may follow a referral
            follows.setdefault(partner, set()).add(where)
        gathering.setdefault(partner, []).append(event)
        last[about] = (partner, None)
        if len(gathering[partner]) >= wanted.setdefault(partner, rng.choices(sizes, weights)[0]):
            send(partner)
    for partner in list(gathering):
        send(partner)
    return requests


def _request(partner: str, batch: list[dict[str, Any]], after: set[int]) -> Request:
    ids = tuple(str(e["id"]) for e in batch)
    return Request(partner, orjson.dumps(batch), ids, frozenset(after))


async def _post(http: aiohttp.ClientSession, token: str, request: Request) -> Outcome:
    started = time.perf_counter()
    try:
        async with http.post(
            "/v1/events", data=request.body, headers={"Authorization": f"Bearer {token}"}
        ) as response:
            answer = await response.read()
            status = response.status
            retry_after = response.headers.get("Retry-After")
    except (aiohttp.ClientError, TimeoutError):
        return Outcome(len(request.ids), 0, time.perf_counter() - started, 0, None, request.ids)
    accepted = int(orjson.loads(answer)["accepted"]) if status == 202 else 0
    return Outcome(
        len(request.ids),
        status,
        time.perf_counter() - started,
        accepted,
        retry_after,
        request.ids,
    )


def _session(url: str, clients: int) -> aiohttp.ClientSession:
    # aiohttp rather than httpx: httpx's async pool tops out near 400 requests/s here.
    return aiohttp.ClientSession(
        url,
        headers={"Content-Type": "application/cloudevents-batch+json"},
        connector=aiohttp.TCPConnector(limit=clients),
        timeout=aiohttp.ClientTimeout(total=60),
    )


async def open_loop(
    url: str,
    tokens: dict[str, str],
    requests: Sequence[Request],
    events_per_second: float,
    seconds: float,
    clients: int,
) -> tuple[list[Outcome], float]:
    """Send `requests` in order, each when the schedule (`events_per_second`) reaches it and
    the requests it follows are answered, for `seconds`, with at most `clients` requests in
    flight; every outcome, and the seconds the sending took (longer than planned when the
    clients could not keep up)."""
    outcomes: list[Outcome] = []
    free = asyncio.Semaphore(clients)
    tasks: set[asyncio.Task[None]] = set()
    answered: list[asyncio.Event] = []
    async with _session(url, clients) as http:

        async def send(request: Request, done: asyncio.Event) -> None:
            try:
                for before in request.after:
                    await answered[before].wait()
                # A client is taken only to send: one waiting for an answer it needs first
                # would otherwise hold a connection it does not use.
                async with free:
                    outcomes.append(await _post(http, tokens[request.partner], request))
            finally:
                done.set()

        started = time.perf_counter()
        due = 0.0
        for request in requests:
            if due >= seconds:
                break
            await asyncio.sleep(max(0.0, started + due - time.perf_counter()))
            answered.append(asyncio.Event())
            task = asyncio.create_task(send(request, answered[-1]))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            due += len(request.ids) / events_per_second
        took = time.perf_counter() - started
        await asyncio.gather(*tasks)
    return outcomes, took


async def flood(
    url: str, tokens: dict[str, str], requests: Sequence[Request], clients: int, seconds: float
) -> tuple[list[Outcome], float]:
    """`clients` clients each sending the next request as soon as it has its answer (a 429 is
    not retried: the next request goes instead), for `seconds` or until none is left."""
    outcomes: list[Outcome] = []
    waiting = list(reversed(requests))
    async with _session(url, clients) as http:
        started = time.perf_counter()

        async def client() -> None:
            while waiting and time.perf_counter() - started < seconds:
                request = waiting.pop()
                outcomes.append(await _post(http, tokens[request.partner], request))

        await asyncio.gather(*(client() for _ in range(clients)))
        return outcomes, time.perf_counter() - started


def percentile(values: Sequence[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]
