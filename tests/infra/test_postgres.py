"""The embedded PostgreSQL on a loopback TCP port as well as its Unix socket: reached for real
over 127.0.0.1, with a password; the passwordless superuser only on the socket."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from infra.broker import free_port
from infra.postgres import EmbeddedPostgres


@pytest.fixture
def short_dir() -> Iterator[Path]:
    base = Path(tempfile.mkdtemp(prefix="tandem-pg-tcp-"))  # the socket's path must be short
    yield base
    shutil.rmtree(base, ignore_errors=True)


def test_a_tcp_port_on_loopback_with_password_logins_only(short_dir: Path) -> None:
    port = free_port()
    server = EmbeddedPostgres(short_dir / "pg", tcp_port=port)
    try:
        on_socket = server.start()
        assert on_socket.endswith(f"&port={port}")
        with psycopg.connect(on_socket, autocommit=True) as conn:
            conn.execute("CREATE ROLE reader LOGIN PASSWORD 'a-secret'")
        tcp = f"postgresql://reader:a-secret@127.0.0.1:{port}/postgres"
        with psycopg.connect(tcp) as conn:
            row = conn.execute("SELECT inet_server_addr()::text, current_user").fetchone()
        assert row == ("127.0.0.1/32", "reader")
        with pytest.raises(psycopg.OperationalError, match="password"):
            psycopg.connect(f"postgresql://postgres@127.0.0.1:{port}/postgres").close()

        server.stop()  # and again, as `tandem up` does after a crash: the same two ways in
        assert server.start() == on_socket
        psycopg.connect(tcp).close()
    finally:
        server.stop()


def test_without_a_port_it_listens_on_its_socket_alone(short_dir: Path) -> None:
    port = free_port()
    server = EmbeddedPostgres(short_dir / "pg")
    try:
        with psycopg.connect(server.start()) as conn:
            row = conn.execute("SELECT inet_server_addr()").fetchone()
        assert row == (None,)  # a Unix socket
        with pytest.raises(psycopg.OperationalError):
            psycopg.connect(f"postgresql://postgres@127.0.0.1:{port}/postgres").close()
    finally:
        server.stop()
