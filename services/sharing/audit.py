"""Who received what of a partner's events, when, and under which agreement or referral."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg

AUDIT_SQL = """
SELECT a.shared_at, a.recipient, a.type, a.source, a.id, a.incident, a.request_id,
       a.agreement_id, g.purpose, a.referral_source, a.referral_id, r.partner
FROM sharing_audit a
LEFT JOIN sharing_agreements g ON g.id = a.agreement_id
LEFT JOIN sharing_request_events r ON (r.source, r.id) = (a.referral_source, a.referral_id)
WHERE a.provider = %(provider)s AND (%(request)s::text IS NULL OR a.request_id = %(request)s)
ORDER BY a.shared_at, a.inbox_seq
"""


@dataclass(frozen=True)
class AuditEntry:
    """One share: the event (`source`, `id`) went to `recipient` at `shared_at`, under the
    agreement `agreement_id` (for `purpose`) or the referral event (`referral_source`,
    `referral_id`) made by `referred_by`."""

    shared_at: datetime
    recipient: str
    type: str
    source: str
    id: str
    incident: str
    request_id: str | None
    agreement_id: str | None
    purpose: str | None
    referral_source: str | None
    referral_id: str | None
    referred_by: str | None


def audit(
    conn: psycopg.Connection[Any], provider: str, request_id: str | None = None
) -> list[AuditEntry]:
    """Every share of `provider`'s events (those about `request_id` only, when given), in the
    order they were made."""
    rows = conn.execute(AUDIT_SQL, {"provider": provider, "request": request_id}).fetchall()
    return [AuditEntry(*row) for row in rows]
