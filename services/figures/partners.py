"""The partners with what they published: how many of their events the live figures count and
when the latest was, read for the situation board and `tandem partner list`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg

# Each partner's events counted in the live figures and its latest event, over the incidents
# given: the hourly figures give the count and the last hour with events (their primary key
# leads to both), and the events counted in that hour the exact time — all index ranges, where
# the event store would have to be read whole (no index of it leads with the partner).
PARTNERS = """
SELECT p.id, p.name,
       (SELECT count(*) FROM partner_tokens t WHERE t.partner = p.id AND t.revoked_at IS NULL),
       coalesce(sum(counted.events), 0)::bigint, max(counted.latest)
FROM partners p
LEFT JOIN LATERAL (
    SELECT hourly.events, (
        SELECT max(c.time) FROM counted_events c
        WHERE c.run = 'live' AND c.incident = i.incident AND c.partner = p.id
          AND c.time >= hourly.last_hour AND c.time < hourly.last_hour + interval '1 hour'
    ) AS latest
    FROM unnest(%(incidents)s::text[]) AS i (incident)
    CROSS JOIN LATERAL (
        SELECT sum(value) AS events, max(hour) AS last_hour FROM hourly_figures h
        WHERE h.run = 'live' AND h.incident = i.incident AND h.metric = 'events'
          AND h.key = p.id
    ) AS hourly
) AS counted ON true
GROUP BY p.id, p.name
ORDER BY p.id COLLATE "C"
"""


@dataclass(frozen=True)
class PartnerLine:
    partner: str
    name: str
    tokens: int
    """Tokens in use (issued and not revoked)."""
    events: int
    """Counted in the live figures of every incident."""
    latest_event: datetime | None


def partner_lines(conn: psycopg.Connection[Any], incidents: list[str]) -> list[PartnerLine]:
    """Every partner, with its events in the live figures of `incidents` (all of them, for the
    whole picture: services/figures/incidents.py lists them)."""
    rows = conn.execute(PARTNERS, {"incidents": incidents}).fetchall()
    return [PartnerLine(*row) for row in rows]
