"""What every long-running service shares: logs, schema, and a clean stop on SIGTERM/SIGINT.

Services are crash-only: on losing PostgreSQL they exit non-zero and the supervisor restarts
them, so recovery is one well-tested path (start) rather than many reconnect paths.
"""

from __future__ import annotations

import signal
import threading

from infra.migrate import migrate
from services import logs
from services.settings import Settings


def start_service(name: str) -> tuple[Settings, threading.Event]:
    settings = Settings()
    logs.configure(name, settings.log_level)
    migrate(settings.require_database_url())  # the schema brought up to date
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    return settings, stop
