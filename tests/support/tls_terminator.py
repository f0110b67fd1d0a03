"""The embedded servers behind TLS, as a managed Kafka's SSL listener and a managed
PostgreSQL look to their clients.

tansu and the embedded PostgreSQL (built without SSL) speak plain TCP here; a small asyncio TLS
terminator on loopback takes the clients' TLS and passes the bytes on. The broker advertises
the terminator's address, so the connections a client opens after bootstrapping (to the
partition leaders the metadata names) go through TLS too. PostgreSQL's clients ask for TLS
in-band first (an SSLRequest, answered `S`), which the terminator answers as a server with TLS
would. The test CA and the server's certificate (for 127.0.0.1 and localhost) are made fresh.
"""

from __future__ import annotations

import asyncio
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import trustme

from infra.broker import EmbeddedBroker, free_port


@dataclass
class TlsTerminator:
    """TLS on `port`, plain TCP to `upstream_port`, on a loop in a thread of its own; with
    `postgres`, TLS begins after PostgreSQL's SSLRequest."""

    upstream_port: int
    context: ssl.SSLContext
    port: int = field(default_factory=free_port)
    postgres: bool = False
    handshakes: int = 0
    """TLS connections accepted so far: each client connection of the services is one."""
    _loop: asyncio.AbstractEventLoop = field(default_factory=asyncio.new_event_loop)
    _open: set[asyncio.StreamWriter] = field(default_factory=set)

    def start(self) -> None:
        threading.Thread(target=self._loop.run_forever, name="tls-terminator", daemon=True).start()
        self._server = asyncio.run_coroutine_threadsafe(self._serve(), self._loop).result(10)

    async def _serve(self) -> asyncio.Server:
        tls = None if self.postgres else self.context
        return await asyncio.start_server(self._relay, "127.0.0.1", self.port, ssl=tls)

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.postgres and not await self._postgres_tls(reader, writer):
            return
        self.handshakes += 1  # the handler runs only after the TLS handshake succeeded
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        except OSError:
            writer.close()
            return
        self._open |= {writer, up_writer}
        await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
        self._open -= {writer, up_writer}

    async def _postgres_tls(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> bool:
        """Answer the client's SSLRequest and take its TLS handshake; a client that does not
        ask for TLS is turned away, as a server that requires it would."""
        try:
            request = await reader.readexactly(8)
            if request != SSL_REQUEST:
                writer.close()
                return False
            writer.write(b"S")
            await writer.drain()
            await writer.start_tls(self.context)
        except (OSError, ssl.SSLError, asyncio.IncompleteReadError):
            writer.close()
            return False
        return True

    def stop(self) -> None:
        async def close() -> None:
            self._server.close()
            for writer in self._open:
                writer.close()

        asyncio.run_coroutine_threadsafe(close(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)


SSL_REQUEST = (8).to_bytes(4, "big") + (80877103).to_bytes(4, "big")


async def _pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    with suppress(OSError, ssl.SSLError, asyncio.IncompleteReadError):
        while data := await source.read(65536):
            sink.write(data)
            await sink.drain()
    with suppress(OSError, RuntimeError):
        sink.close()


@dataclass(frozen=True)
class TlsBroker:
    bootstrap: str
    ca_file: Path
    terminator: TlsTerminator
    plain_bootstrap: str


def new_ca(ca_file: Path) -> ssl.SSLContext:
    """A new CA, its certificate written to `ca_file`, and a server context with a certificate
    it issued for 127.0.0.1 and localhost."""
    ca = trustme.CA()
    ca.cert_pem.write_to_path(str(ca_file))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    return context


@contextmanager
def tls_broker(folder: Path) -> Iterator[TlsBroker]:
    """An embedded broker reachable only through TLS with a certificate of a new test CA, whose
    certificate is written to `folder`/ca.pem."""
    ca_file = folder / "ca.pem"
    context = new_ca(ca_file)
    tls_port = free_port()
    broker = EmbeddedBroker(log_file=folder / "broker.log", advertised_port=tls_port)
    plain = broker.start()
    terminator = TlsTerminator(broker.port, context, tls_port)
    terminator.start()
    try:
        yield TlsBroker(f"127.0.0.1:{tls_port}", ca_file, terminator, plain)
    finally:
        terminator.stop()
        broker.stop()
