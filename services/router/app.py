"""The router: `events.accepted` in batches through the sharing rules (services/sharing) into
each recipient's inbox and the audit; the relay then publishes inboxes to `partner.{id}.inbox`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg

from services.sharing.store import share_batch


def share(conn: psycopg.Connection[Any], values: Sequence[bytes]) -> int:
    return len(share_batch(conn, values))
