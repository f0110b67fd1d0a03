"""The relay service: `python -m services.relay`."""

from __future__ import annotations

import logging
import threading

from kafka.errors import KafkaError

from services.relay.reconciler import run_reconciler
from services.relay.relay import Relay, Unconfirmed
from services.runtime import start_service
from services.store.connections import become_the_active_instance, connect

log = logging.getLogger("services.relay")

IDLE_WAIT = 0.05
MAX_BACKOFF = 5.0


def main() -> None:
    settings, stop = start_service("relay")
    with connect(settings) as conn:
        become_the_active_instance(conn, "relay")
        relay = Relay(settings, conn)
        reconciler = threading.Thread(
            target=run_reconciler, args=(settings, stop), name="reconciler", daemon=True
        )
        reconciler.start()
        log.info("relay running")
        backoff = 0.1
        while not stop.is_set():
            try:
                sent = relay.relay_once()
                backoff = 0.1
            except (KafkaError, Unconfirmed, TimeoutError, OSError) as exc:
                log.warning("broker unavailable; retrying", extra={"error": repr(exc)})
                relay.drop_producer()
                stop.wait(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)
                continue
            if sent == 0:
                stop.wait(IDLE_WAIT)
        relay.drop_producer()


if __name__ == "__main__":
    main()
