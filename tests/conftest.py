"""Real servers for the suite: PostgreSQL (embedded unless DATABASE_URL) and the broker
(embedded tansu unless KAFKA_BOOTSTRAP). Each test gets its own database, made from a migrated
template, and its own topic prefix, so tests never see each other's data."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from infra.broker import EmbeddedBroker
from infra.migrate import migrate
from infra.postgres import EmbeddedPostgres
from services.settings import Settings
from tests.support.gateway_http import Gateway, gateway_for
from tests.support.grafana_stub import StubGrafana, stub_grafana
from tests.support.servers import databases, with_database

TEMPLATE = f"tandem_template_{os.getpid()}"


@pytest.fixture(scope="session")
def server_url() -> Iterator[str]:
    external = os.environ.get("DATABASE_URL")
    if external:
        yield external
        return
    # Not under pytest's tmp dir: each pytest session makes that 0700 again, which would lock
    # out the server's own unprivileged user while another session runs.
    base = Path(tempfile.mkdtemp(prefix="tandem-test-pg-"))
    server = EmbeddedPostgres(base / "data")
    url = server.start()
    try:
        yield url
    finally:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def template_db(server_url: str) -> Iterator[str]:
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(TEMPLATE)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(TEMPLATE)))
    migrate(with_database(server_url, TEMPLATE))
    yield TEMPLATE
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(TEMPLATE))
        )


@pytest.fixture
def new_database(server_url: str, template_db: str) -> Iterator[Callable[[], str]]:
    """Makes migrated, empty databases on demand; drops them after the test."""
    with databases(server_url, template_db) as make:
        yield make


@pytest.fixture
def database_url(new_database: Callable[[], str]) -> str:
    return new_database()


@pytest.fixture
def unmigrated(server_url: str) -> Iterator[str]:
    """A database with no schema at all, as a new managed PostgreSQL hands it over."""
    name = f"tandem_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    yield with_database(server_url, name)
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture(scope="session")
def broker_bootstrap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    external = os.environ.get("KAFKA_BOOTSTRAP")
    if external:
        yield external
        return
    broker = EmbeddedBroker(log_file=tmp_path_factory.mktemp("broker") / "broker.log")
    yield broker.start()
    broker.stop()


@pytest.fixture
def settings(database_url: str, broker_bootstrap: str, tmp_path: Path) -> Settings:
    return Settings(
        TANDEM_DATA_DIR=tmp_path / "data",
        DATABASE_URL=database_url,
        KAFKA_BOOTSTRAP=broker_bootstrap,
        TANDEM_TOPIC_PREFIX=f"t{uuid.uuid4().hex[:10]}.",
        TANDEM_TOPIC_PARTITIONS=4,  # what tansu gives a topic it creates by itself
    )


@pytest.fixture
def gateway(settings: Settings) -> Iterator[Gateway]:
    """The real gateway over HTTP, with the foodbank (`token`) and the council registered."""
    with gateway_for(settings) as running:
        yield running


@pytest.fixture
def grafana() -> Iterator[tuple[StubGrafana, str]]:
    """A stub of Grafana's HTTP API on loopback, for `tandem dashboards push`."""
    with stub_grafana() as running:
        yield running
