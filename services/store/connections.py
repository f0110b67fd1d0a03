"""Connections to PostgreSQL, the store of record for events and figures."""

from __future__ import annotations

import psycopg

from services.settings import Settings


def connect(settings: Settings, autocommit: bool = False) -> psycopg.Connection[tuple[object, ...]]:
    return psycopg.connect(settings.require_database_url(), autocommit=autocommit)


def become_the_active_instance(conn: psycopg.Connection[tuple[object, ...]], role: str) -> None:
    """Block until this process holds `role`'s session lock: one active, the others standby.

    The lock is released by PostgreSQL when the session ends, so a killed instance hands over.
    """
    conn.execute("SELECT pg_advisory_lock(hashtext(%s))", (f"tandem:{role}",))
    conn.commit()
