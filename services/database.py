"""Connections to PostgreSQL, the store of record for events and figures."""

from __future__ import annotations

import psycopg

from infra.migrate import migrate
from services.settings import Settings


def connect(settings: Settings, autocommit: bool = False) -> psycopg.Connection[tuple[object, ...]]:
    return psycopg.connect(settings.require_database_url(), autocommit=autocommit)


def prepare(settings: Settings) -> None:
    """Bring the schema up to date; every service calls this at start."""
    migrate(settings.require_database_url())
