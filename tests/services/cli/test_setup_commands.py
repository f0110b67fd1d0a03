"""`tandem migrate` as the Kubernetes setup Job runs it, `--wait` as each service's pod waits
for it, and secrets read from files (TANDEM_SECRETS_DIR) as the pods mount them."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from infra.migrate import migration_files
from tests.support.servers import run_tandem, with_database


@pytest.fixture
def empty_database(server_url: str) -> Iterator[str]:
    """A database with no schema at all, as a managed PostgreSQL hands it over."""
    name = f"tandem_empty_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    yield with_database(server_url, name)
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


def test_migrate_applies_what_is_missing_and_wait_waits_for_it(
    empty_database: str, tmp_path: Path
) -> None:
    env = {"DATABASE_URL": empty_database, "TANDEM_DATA_DIR": str(tmp_path)}
    waited = run_tandem(env, "migrate", "--wait", "--timeout", "1")
    assert waited.returncode == 1
    assert "the database still lacks 0001_event_store" in waited.stderr

    applied = run_tandem(env, "migrate")
    assert applied.returncode == 0, applied.stderr
    versions = [version for version, _ in migration_files()]
    assert applied.stdout.strip() == f"applied {', '.join(versions)}"
    assert run_tandem(env, "migrate").stdout.strip() == "nothing to apply"
    ready = run_tandem(env, "migrate", "--wait", "--timeout", "1")
    assert ready.returncode == 0 and ready.stdout.strip() == "the database has every migration"


def test_secrets_are_read_from_files(empty_database: str, tmp_path: Path) -> None:
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "DATABASE_URL").write_text(empty_database)
    env = {"DATABASE_URL": "", "TANDEM_SECRETS_DIR": str(secrets), "TANDEM_DATA_DIR": str(tmp_path)}
    applied = run_tandem(env, "migrate")
    assert applied.returncode == 0, applied.stderr
    # The environment wins over the files.
    (secrets / "DATABASE_URL").write_text("postgresql://nobody@127.0.0.1:1/none")
    again = run_tandem({**env, "DATABASE_URL": empty_database}, "migrate")
    assert again.stdout.strip() == "nothing to apply"


def test_migrate_without_a_database_says_so(tmp_path: Path) -> None:
    failed = run_tandem({"DATABASE_URL": "", "TANDEM_DATA_DIR": str(tmp_path)}, "migrate")
    assert failed.returncode == 1
    assert failed.stderr.startswith("tandem: no database:")
