"""A managed PostgreSQL is reached over TLS with `sslmode=verify-full`: `DATABASE_URL` goes to
libpq as written, so its `sslmode` and `sslrootcert` reach every connection the services make
(the command line's, the gateway's pool). Tried on the embedded PostgreSQL behind a TLS
terminator whose certificate a test CA issued."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
import trustme

from infra.broker import free_port
from infra.postgres import EmbeddedPostgres
from services.settings import Settings
from tests.support.servers import run_tandem, running_gateway
from tests.support.tls_terminator import TlsTerminator, new_ca

PASSWORD = "tls-test-password"


@pytest.fixture(scope="module")
def tls_postgres() -> Iterator[tuple[Path, TlsTerminator]]:
    """(the CA's file, the terminator) of a PostgreSQL taking TLS on 127.0.0.1: the embedded
    one (built without SSL) behind the TLS terminator, as PostgreSQL's clients negotiate it."""
    base = Path(tempfile.mkdtemp(prefix="tandem-pg-tls-"))
    server = EmbeddedPostgres(base / "data", tcp_port=free_port())
    socket_url = server.start()
    terminator = TlsTerminator(server.tcp_port or 0, new_ca(base / "ca.pem"), postgres=True)
    try:
        with psycopg.connect(socket_url, autocommit=True) as conn:
            conn.execute(f"ALTER USER postgres PASSWORD '{PASSWORD}'")
        terminator.start()
        yield base / "ca.pem", terminator
    finally:
        terminator.stop()
        server.stop()
        shutil.rmtree(base, ignore_errors=True)


def url(port: int, ca_file: Path, mode: str = "verify-full") -> str:
    return (
        f"postgresql://postgres:{PASSWORD}@127.0.0.1:{port}/postgres"
        f"?sslmode={mode}&sslrootcert={ca_file}"
    )


def test_verify_full_reaches_the_server_over_tls(
    tls_postgres: tuple[Path, TlsTerminator],
) -> None:
    ca_file, terminator = tls_postgres
    port = terminator.port
    before = terminator.handshakes
    settings = Settings(DATABASE_URL=url(port, ca_file))
    with psycopg.connect(settings.require_database_url()) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
        assert conn.pgconn.ssl_in_use
    assert terminator.handshakes == before + 1
    # A client that does not ask for TLS is turned away.
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(url(port, ca_file, "disable")).close()
    # The check is real: a CA that did not sign the server's certificate is refused.
    other = ca_file.with_name("other-ca.pem")
    trustme.CA().cert_pem.write_to_path(str(other))
    with pytest.raises(psycopg.OperationalError, match="certificate verify failed"):
        psycopg.connect(url(port, other)).close()


def test_the_services_pass_verify_full_through(
    tls_postgres: tuple[Path, TlsTerminator], tmp_path: Path
) -> None:
    ca_file, terminator = tls_postgres
    port = terminator.port
    database_url = url(port, ca_file)
    migrated = run_tandem(
        {"DATABASE_URL": database_url, "TANDEM_DATA_DIR": str(tmp_path)}, "migrate"
    )
    assert migrated.returncode == 0, migrated.stderr
    # A wrong CA in the same URL fails the same command: the URL's TLS options are used.
    other = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(other))
    refused = run_tandem(
        {"DATABASE_URL": url(port, other), "TANDEM_DATA_DIR": str(tmp_path)}, "migrate"
    )
    assert refused.returncode == 1 and "certificate verify failed" in refused.stderr
    # The gateway's connection pool, from the same settings.
    settings = Settings(TANDEM_DATA_DIR=tmp_path, DATABASE_URL=database_url)
    with running_gateway(settings) as gateway:
        ready = httpx.get(f"{gateway}/readyz", timeout=10).json()
    assert ready["checks"]["database"] is True
