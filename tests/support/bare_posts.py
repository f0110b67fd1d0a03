"""The ceiling a webhook benchmark is measured against: `python -m tests.support.bare_posts URL
COUNT CLIENTS` POSTs a small body COUNT times to URL from CLIENTS connections at once, each
waiting for its answer, with the client and event loop the webhooks service uses and nothing
else (no database, no signing), and prints the requests a second."""

from __future__ import annotations

import asyncio
import sys
import time

import aiohttp
import uvloop

BODY = b'{"specversion": "1.0", "id": "bare", "type": "resilience.request.raised.v1"}'


async def _client(url: str, count: int) -> None:
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1)) as session:
        for _ in range(count):
            async with session.post(url, data=BODY, allow_redirects=False) as response:
                await response.read()


async def _all(url: str, count: int, clients: int) -> float:
    started = time.perf_counter()
    await asyncio.gather(*(_client(url, count // clients) for _ in range(clients)))
    return (count // clients * clients) / (time.perf_counter() - started)


if __name__ == "__main__":
    url, count, clients = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    print(f"{uvloop.run(_all(url, count, clients)):.0f}")
