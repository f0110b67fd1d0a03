"""The router: `events.accepted` in batches through the sharing rules (services/sharing) into
each recipient's inbox and the audit; the relay then publishes inboxes to `partner.{id}.inbox`.
Every event it has judged goes in its ledger, `routed_events`, in the same transaction: what the
reconciler compares with the store."""

from __future__ import annotations

from services.sharing.store import share_batch
from services.streaming.batches import Batch
from services.streaming.positions import Conn

LEDGER_SQL = """
INSERT INTO routed_events (source, id)
SELECT doc->>'source', doc->>'id' FROM unnest(%s::jsonb[]) AS doc
ON CONFLICT DO NOTHING
"""


def share(conn: Conn, batch: Batch) -> None:
    values = batch.values
    conn.execute(LEDGER_SQL, ([value.decode() for value in values],))
    share_batch(conn, values)
