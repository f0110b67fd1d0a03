"""The router: `events.accepted` in batches through the sharing rules (services/sharing) into
each recipient's inbox and the audit; the relay then publishes inboxes to `partner.{id}.inbox`.
Every event it has judged goes in its ledger, `routed_events`, in the same transaction: what the
reconciler compares with the store."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg

from services.sharing.store import share_batch

LEDGER_SQL = """
INSERT INTO routed_events (source, id)
SELECT doc->>'source', doc->>'id' FROM unnest(%s::jsonb[]) AS doc
ON CONFLICT DO NOTHING
"""


def share(conn: psycopg.Connection[Any], values: Sequence[bytes]) -> int:
    conn.execute(LEDGER_SQL, ([value.decode() for value in values],))
    return len(share_batch(conn, values))
