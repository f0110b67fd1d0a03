"""`tandem dashboards push` against the embedded PostgreSQL: on its Unix socket alone it says
what to do (Grafana needs TCP); with a TCP port (`tandem up --postgres-port`, recorded in
stack.json, or TANDEM_POSTGRES_PORT) it gives Grafana 127.0.0.1:PORT and a read-only login of
its own, which works over TCP for real."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from typer.testing import CliRunner

from infra.broker import free_port
from infra.migrate import migrate
from infra.postgres import EmbeddedPostgres
from services.cli.main import app
from tests.support.grafana_stub import TOKEN, StubGrafana

PG_VARIABLES = ("TANDEM_PG_HOST", "TANDEM_PG_USER", "TANDEM_PG_DATABASE", "TANDEM_PG_PASSWORD")


@pytest.fixture
def embedded() -> Iterator[tuple[str, int]]:
    """A migrated embedded PostgreSQL on its socket and a loopback port: (socket URL, port)."""
    base = Path(tempfile.mkdtemp(prefix="tandem-pg-push-"))
    port = free_port()
    server = EmbeddedPostgres(base / "pg", tcp_port=port)
    try:
        url = server.start()
        migrate(url)
        yield url, port
    finally:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)


def test_a_socket_only_database_is_explained_and_a_tcp_port_is_used(
    embedded: tuple[str, int],
    grafana: tuple[StubGrafana, str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    socket_url, port = embedded
    state, url = grafana
    sent: list[dict[str, Any]] = []
    keep = StubGrafana.store_datasource

    def store(body: dict[str, Any], *args: Any) -> dict[str, Any]:
        sent.append(body)
        return keep(body, *args)

    monkeypatch.setattr(StubGrafana, "store_datasource", staticmethod(store))
    for name in PG_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TANDEM_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", socket_url)
    monkeypatch.delenv("TANDEM_POSTGRES_PORT", raising=False)
    runner = CliRunner()
    command = ["dashboards", "push", "--url", url, "--token", TOKEN]

    socket_only = runner.invoke(app, command)
    assert socket_only.exit_code == 1
    assert "listens on a Unix socket only, which Grafana cannot reach" in socket_only.output
    assert "tandem up --postgres-port" in socket_only.output
    assert state.datasources == {}

    monkeypatch.setenv("TANDEM_POSTGRES_PORT", str(port))
    pushed = runner.invoke(app, command)
    assert pushed.exit_code == 0, pushed.output
    (body,) = sent
    assert (body["url"], body["user"]) == (f"127.0.0.1:{port}", "tandem_grafana")
    password = body["secureJsonData"]["password"]
    over_tcp = f"postgresql://tandem_grafana:{password}@127.0.0.1:{port}/postgres"
    with psycopg.connect(over_tcp) as conn:
        assert conn.execute("SELECT count(*) FROM hourly_figures").fetchone() == (0,)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT count(*) FROM events")


def test_an_unreachable_grafana_is_one_clear_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://tandem:pw@db.example:5433/figures")
    nobody = f"http://127.0.0.1:{free_port()}"
    result = CliRunner().invoke(app, ["dashboards", "push", "--url", nobody, "--token", TOKEN])
    assert result.exit_code == 1
    assert result.output == (
        f"tandem: could not reach Grafana at {nobody}: is it running, and is that its URL?\n"
    )
