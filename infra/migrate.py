"""Versioned SQL migrations, applied in order, each once, under an advisory lock.

Files are `infra/migrations/NNNN_name.sql`; a file never changes once released, a new one is
added instead. Several services start at once, so the lock makes exactly one of them migrate.
"""

from __future__ import annotations

import logging
from importlib import resources

import psycopg

log = logging.getLogger(__name__)

MIGRATIONS_LOCK = 0x7A4D  # any constant shared by every Tandem process


def migration_files() -> list[tuple[str, str]]:
    folder = resources.files("infra") / "migrations"
    names = sorted(f.name for f in folder.iterdir() if f.name.endswith(".sql"))
    return [(name.removesuffix(".sql"), (folder / name).read_text()) for name in names]


def migrate(database_url: str) -> list[str]:
    """Apply the migrations this database lacks; return their names."""
    applied: list[str] = []
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (MIGRATIONS_LOCK,))
        try:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
            )
            done = {row[0] for row in conn.execute("SELECT version FROM schema_migrations")}
            for version, sql in migration_files():
                if version in done:
                    continue
                with conn.transaction():
                    conn.execute(sql.encode())
                    conn.execute("INSERT INTO schema_migrations (version) VALUES (%s)", (version,))
                log.info("migration applied", extra={"version": version})
                applied.append(version)
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (MIGRATIONS_LOCK,))
    return applied


def pending(database_url: str) -> list[str]:
    """The migrations this version ships that the database lacks, applying none."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        table = conn.execute("SELECT to_regclass('schema_migrations')").fetchone()
        done = (
            {row[0] for row in conn.execute("SELECT version FROM schema_migrations")}
            if table and table[0]
            else set()
        )
    return [version for version, _ in migration_files() if version not in done]
