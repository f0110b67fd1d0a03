"""Looking for raw person_refs wherever a deployment keeps data: every table of the database,
topics, log files."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any

import psycopg
from psycopg import sql


def tables_holding(conn: psycopg.Connection[Any], needles: Collection[str]) -> dict[str, set[str]]:
    """table → the needles found in the text of its rows, in every schema of the database
    (other sessions' temporary tables are out of reach, and emptied at each commit). A bytea
    column reads as hex in a row's text, so each needle is looked for in hex too."""
    tables = conn.execute(
        "SELECT schemaname, tablename FROM pg_tables"
        " WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
        r" AND schemaname NOT LIKE 'pg\_temp\_%' ORDER BY 1, 2"
    ).fetchall()
    assert len(tables) > 20, tables  # the search covers the whole schema
    found: dict[str, set[str]] = {}
    for schema, table in tables:
        query = sql.SQL("SELECT t::text FROM {}.{} t").format(
            sql.Identifier(schema), sql.Identifier(table)
        )
        texts = (str(row[0]) for row in conn.execute(query))
        hits = holding(texts, needles)
        if hits:
            found[f"{schema}.{table}"] = hits
    return found


def holding(texts: Iterable[str], needles: Collection[str]) -> set[str]:
    """The needles found in any of `texts`, as they are or hex-encoded, in any case."""
    wanted = {needle: (needle.lower(), needle.encode().hex()) for needle in needles}
    hits: set[str] = set()
    for text in texts:
        lowered = text.lower()
        hits |= {needle for needle, forms in wanted.items() if any(f in lowered for f in forms)}
    return hits
