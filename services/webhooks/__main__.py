"""The webhooks service: `python -m services.webhooks` (a second one waits as a hot standby)."""

from __future__ import annotations

import asyncio
import logging
import threading

import uvloop
from psycopg_pool import AsyncConnectionPool

from services.runtime import start_service
from services.settings import Settings
from services.store.connections import become_the_active_instance, connect
from services.webhooks.deliverer import Deliverer

log = logging.getLogger("services.webhooks")


async def deliver(settings: Settings, stop: threading.Event) -> None:
    async with AsyncConnectionPool(
        settings.require_database_url(), min_size=1, max_size=8, open=False
    ) as pool:
        stopping = asyncio.Event()

        async def watch() -> None:
            while not stop.is_set():
                await asyncio.sleep(0.2)
            stopping.set()

        watcher = asyncio.create_task(watch())
        log.info("webhooks running")
        await Deliverer(settings, pool).run(stopping)
        watcher.cancel()


def main() -> None:
    settings, stop = start_service("webhooks")
    with connect(settings) as conn:
        become_the_active_instance(conn, "webhooks")
        uvloop.run(deliver(settings, stop))  # a delivery's cost is mostly event-loop work


if __name__ == "__main__":
    main()
