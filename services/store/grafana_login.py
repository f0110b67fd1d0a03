"""A login for a local Grafana on the embedded PostgreSQL: `tandem_grafana`, a member of the
read-only `tandem_figures_reader` (migration 0006), with a new random password each time it is
asked for. The password goes to Grafana's data source and is kept nowhere else."""

from __future__ import annotations

import secrets
from typing import Any

import psycopg
from psycopg import sql

GRAFANA_LOGIN = "tandem_grafana"


def grafana_login(conn: psycopg.Connection[Any]) -> tuple[str, str]:
    """Create the login, or give it a new password; return (user, password)."""
    password = secrets.token_urlsafe(24)
    with conn.transaction():
        exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (GRAFANA_LOGIN,))
        verb = sql.SQL("ALTER" if exists.fetchone() else "CREATE")
        conn.execute(
            sql.SQL("{} ROLE {} LOGIN PASSWORD {}").format(
                verb, sql.Identifier(GRAFANA_LOGIN), sql.Literal(password)
            )
        )
        conn.execute(
            sql.SQL("GRANT tandem_figures_reader TO {}").format(sql.Identifier(GRAFANA_LOGIN))
        )
    return GRAFANA_LOGIN, password
