"""Alert rules as code, provisioned to Grafana from `infra/grafana/provisioning/alerting/`.

Alerts run without a dashboard, so each query looks at every incident of the live run that is
declared and not stood down, and gives one row per thing to alert on, labelled by its text
columns (Grafana's multi-dimensional SQL alerts). Where the sitrep has the figure, its section
is reused, evaluated per incident.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dashboards.query import DATASOURCE_UID, SqlQuery
from dashboards.sitrep_sql import CAPACITY, STOCK, params_at, section
from schemas.thresholds import (
    BEHIND_SECONDS,
    CRITICAL_COVER_DAYS,
    SILENT,
    URGENT_WAIT,
    in_hours,
)
from services.streaming.completeness import completeness_sql

NOW = "now()"
LIVE = "'live'"
FOLDER = "Tandem"
GROUP = "Tandem incident alerts"
INTERVAL = "1m"

ACTIVE_INCIDENTS = f"""
active AS (
    SELECT incident FROM (
        SELECT DISTINCT ON (incident) incident, kind FROM incident_events
        WHERE run = {LIVE}
        ORDER BY incident, time DESC, kind = 'stood_down' DESC
    ) AS latest
    WHERE kind = 'declared'
)""".strip()


def _per_incident(name: str, now: str) -> str:
    """A sitrep section evaluated for each active incident at `now`."""
    body = section(name, **params_at(f"{now}::timestamptz", run=LIVE, incident="active.incident"))
    return "\n".join("    " + line for line in body.splitlines())


def urgent_open_sql(now: str = NOW) -> str:
    return f"""
WITH {ACTIVE_INCIDENTS}
SELECT incident, count(*) AS value
FROM request_timeline
WHERE run = {LIVE} AND incident IN (SELECT incident FROM active)
  AND open AND priority = 'urgent' AND during @> (SELECT {now}::timestamptz)
  AND raised_at <= {now}::timestamptz - interval '{in_hours(URGENT_WAIT)} hours'
GROUP BY incident
""".strip()


def hub_cover_sql(now: str = NOW) -> str:
    return f"""
WITH {ACTIVE_INCIDENTS}
SELECT active.incident, stock.hub_id, stock.item, stock.days_of_cover AS value
FROM active
CROSS JOIN LATERAL (
{_per_incident("stock", now)}
) AS stock ({", ".join(STOCK)})
WHERE stock.days_of_cover IS NOT NULL
""".strip()


def overwhelmed_sql(now: str = NOW) -> str:
    return f"""
WITH {ACTIVE_INCIDENTS}
SELECT active.incident, capacity.partner, (capacity.status = 'overwhelmed')::int AS value
FROM active
CROSS JOIN LATERAL (
{_per_incident("capacity", now)}
) AS capacity ({", ".join(CAPACITY)})
""".strip()


# The partners of an incident are those in its hourly figures; each one's latest event by `now`
# is one backward probe of the ledger's (run, incident, time) index.
def silent_partner_sql(now: str = NOW) -> str:
    return f"""
WITH {ACTIVE_INCIDENTS},
partners AS (
    SELECT DISTINCT incident, key AS partner
    FROM hourly_figures
    WHERE run = {LIVE} AND metric = 'events' AND incident IN (SELECT incident FROM active)
      AND hour <= {now}::timestamptz
)
SELECT partners.incident, partners.partner,
       round((extract(epoch FROM {now}::timestamptz - latest.time) / 60)::numeric, 1) AS value
FROM partners
CROSS JOIN LATERAL (
    SELECT c.time FROM counted_events c
    WHERE c.run = {LIVE} AND c.incident = partners.incident AND c.partner = partners.partner
      AND c.time <= {now}::timestamptz
    ORDER BY c.time DESC
    LIMIT 1
) AS latest
""".strip()


def figures_behind_sql(now: str = NOW) -> str:
    """Seconds since the oldest event stored but not yet in every consumer was stored; with the
    reconciler stopped too (it is the relay's thread), since its last report at the latest:
    Grafana's role may not read the store that would say when exactly."""
    return f"""
SELECT round(extract(epoch FROM {now}::timestamptz - oldest_uncounted_at)::numeric) AS value
FROM (
{completeness_sql(now, store=False)}
) AS completeness
WHERE oldest_uncounted_at IS NOT NULL
""".strip()


@dataclass(frozen=True)
class AlertRule:
    uid: str
    title: str
    summary: str
    sql: Callable[[str], str]
    evaluator: str  # Grafana threshold type: gt or lt
    threshold: float
    pending: str = "0s"
    severity: str = "critical"
    per_incident: bool = True  # one row per active incident's thing; else one for the platform


RULES: tuple[AlertRule, ...] = (
    AlertRule(
        f"tandem-urgent-request-open-{in_hours(URGENT_WAIT)}h",
        f"Urgent request open over {in_hours(URGENT_WAIT)} hours",
        "{{ $values.B }} urgent request(s) of {{ $labels.incident }} open for over"
        f" {in_hours(URGENT_WAIT)} hours.",
        urgent_open_sql,
        "gt",
        0,
    ),
    AlertRule(
        f"tandem-hub-under-{CRITICAL_COVER_DAYS}-days-cover",
        f"Hub under {CRITICAL_COVER_DAYS} days of cover",
        "{{ $labels.hub_id }} has {{ $values.B }} days of {{ $labels.item }} left"
        " ({{ $labels.incident }}).",
        hub_cover_sql,
        "lt",
        CRITICAL_COVER_DAYS,
    ),
    AlertRule(
        "tandem-partner-overwhelmed",
        "Partner reports overwhelmed",
        "{{ $labels.partner }} reports it is overwhelmed ({{ $labels.incident }}).",
        overwhelmed_sql,
        "gt",
        0,
        severity="warning",
    ),
    AlertRule(
        f"tandem-partner-silent-{in_hours(SILENT)}h",
        f"No events from a partner for {in_hours(SILENT)} hours",
        "No events from {{ $labels.partner }} for {{ $values.B }} minutes during"
        " {{ $labels.incident }}.",
        silent_partner_sql,
        "gt",
        in_hours(SILENT) * 60,  # minutes
        severity="warning",
    ),
    AlertRule(
        "tandem-figures-behind",
        "Accepted events not yet in the figures",
        "An event accepted {{ $values.B }} s ago is not yet in the archive, the figures or the"
        " sharing: the figures are short. `tandem status` says what is being repaired.",
        figures_behind_sql,
        "gt",
        BEHIND_SECONDS,
        per_incident=False,
    ),
)


def rule(alert: AlertRule) -> dict[str, Any]:
    """One rule as Grafana's file provisioning reads it: SQL (A), last value (B), threshold (C)."""
    return {
        "uid": alert.uid,
        "title": alert.title,
        "condition": "C",
        "data": [
            {
                "refId": "A",
                "relativeTimeRange": {"from": 600, "to": 0},
                "datasourceUid": DATASOURCE_UID,
                "model": SqlQuery(alert.sql(NOW)).to_json(),
            },
            {
                "refId": "B",
                "relativeTimeRange": {"from": 0, "to": 0},
                "datasourceUid": "__expr__",
                "model": {
                    "refId": "B",
                    "datasource": {"type": "__expr__", "uid": "__expr__"},
                    "type": "reduce",
                    "expression": "A",
                    "reducer": "last",
                    "settings": {"mode": "dropNN"},
                },
            },
            {
                "refId": "C",
                "relativeTimeRange": {"from": 0, "to": 0},
                "datasourceUid": "__expr__",
                "model": {
                    "refId": "C",
                    "datasource": {"type": "__expr__", "uid": "__expr__"},
                    "type": "threshold",
                    "expression": "B",
                    "conditions": [
                        {"evaluator": {"type": alert.evaluator, "params": [alert.threshold]}}
                    ],
                },
            },
        ],
        # No rows means nothing to alert on (no incident, no stock line): that is OK.
        "noDataState": "OK",
        "execErrState": "Error",
        "for": alert.pending,
        "annotations": {"summary": alert.summary},
        "labels": {"severity": alert.severity, "service": "tandem"},
        "isPaused": False,
    }


def alerting_provisioning() -> dict[str, Any]:
    return {
        "apiVersion": 1,
        "groups": [
            {
                "orgId": 1,
                "name": GROUP,
                "folder": FOLDER,
                "interval": INTERVAL,
                "rules": [rule(alert) for alert in RULES],
            }
        ],
    }
