"""The gateway's HTTP server: uvicorn with httptools, where a client gets a bounded time to send
each request.

uvicorn bounds the idle time between requests (keep-alive) but not how long a request's headers
may take to arrive, so a client sending them a byte at a time (slowloris) would hold its
connection for ever. The protocol here closes a connection whose request headers are not all in
within `read_seconds` of the connection opening or the request starting; the app bounds the body
the same way (`read_body`, 408).
"""

from __future__ import annotations

import asyncio

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from services.gateway.app import create_app
from services.settings import Settings


class HeaderDeadlineProtocol(HttpToolsProtocol):
    read_seconds = 30.0
    _headers_due: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._expect_headers()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._expect_headers()

    def on_headers_complete(self) -> None:
        self._headers_arrived()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._headers_arrived()
        super().connection_lost(exc)

    def _expect_headers(self) -> None:
        if self._headers_due is None:
            self._headers_due = self.loop.call_later(self.read_seconds, self._headers_late)

    def _headers_arrived(self) -> None:
        if self._headers_due is not None:
            self._headers_due.cancel()
            self._headers_due = None

    def _headers_late(self) -> None:
        self._headers_due = None
        if not self.transport.is_closing():
            self.transport.close()


def gateway_server(settings: Settings, host: str, port: int) -> uvicorn.Server:
    protocol = type(
        "HeaderDeadlineProtocol", (HeaderDeadlineProtocol,), {"read_seconds": settings.read_seconds}
    )
    return uvicorn.Server(
        uvicorn.Config(
            create_app(settings),
            host=host,
            port=port,
            loop="uvloop",
            http=protocol,
            access_log=False,
            log_config=None,
            timeout_graceful_shutdown=5,
        )
    )
