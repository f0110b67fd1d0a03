"""2. Requests: what is open (by priority, area and age), how fast requests are fulfilled,
why they are declined, and how partners refer work to each other."""

from __future__ import annotations

from typing import get_args

from grafana_foundation_sdk.models.dashboard import Dashboard

from dashboards.panels import (
    bar_chart_panel,
    bar_gauge_panel,
    headline_panel,
    stat_panel,
    table_panel,
    tandem_dashboard,
    time_series_panel,
)
from dashboards.sitrep_sql import (
    AT,
    HEADLINE,
    INCIDENT,
    OPEN_REQUESTS,
    RUN,
    Step,
    before_at,
    over_section,
    scope,
)
from schemas.requests import Priority
from schemas.thresholds import AGEING, AGEING_EARLY, in_hours

UID = "tandem-requests"
EARLY = in_hours(AGEING_EARLY)
LATE = in_hours(AGEING)

OPEN_OVER_24H = over_section(
    "open_requests",
    OPEN_REQUESTS,
    "coalesce(sum(open_over_72h), 0) AS value",
    ageing_cutoff=before_at(AGEING_EARLY),
)

OPEN_BY_PRIORITY = over_section(
    "open_requests",
    OPEN_REQUESTS,
    "priority, sum(open)::bigint AS open",
    "GROUP BY priority\nORDER BY open DESC, priority",
)

_BY_PRIORITY = ",\n       ".join(
    f"count(*) FILTER (WHERE priority = '{priority}') AS {priority}"
    for priority in get_args(Priority)
)
OPEN_BY_AREA_AND_PRIORITY = f"""
SELECT coalesce(area, 'unknown') AS area,
       {_BY_PRIORITY}
FROM request_timeline
WHERE {scope()} AND open AND during @> (SELECT {AT})
GROUP BY 1
ORDER BY count(*) DESC, 1
""".strip()

# Each hour of the range, the requests open then, by how long ago they were raised.
EARLY_AGO = f"hours.at - interval '{EARLY} hours'"
LATE_AGO = f"hours.at - interval '{LATE} hours'"
OPEN_BY_AGE = f"""
SELECT $__timeGroupAlias(hours.at, 1h),
       count(stretch.request_id) FILTER (WHERE stretch.raised_at > {EARLY_AGO})
           AS "under {EARLY}h",
       count(stretch.request_id) FILTER (WHERE stretch.raised_at <= {EARLY_AGO}
                                        AND stretch.raised_at > {LATE_AGO})
           AS "{EARLY} to {LATE}h",
       count(stretch.request_id) FILTER (WHERE stretch.raised_at <= {LATE_AGO})
           AS "over {LATE}h"
FROM generate_series(date_trunc('hour', $__timeFrom()::timestamptz, 'UTC'), {AT},
                     interval '1 hour') AS hours (at)
LEFT JOIN request_timeline stretch
  ON stretch.run = {RUN} AND stretch.incident = {INCIDENT} AND stretch.open
 AND stretch.during @> hours.at
GROUP BY 1
ORDER BY 1
""".strip()

MEDIAN_TO_FULFIL_OVER_TIME = f"""
SELECT $__timeGroupAlias(fulfilled_at, 6h),
       round((percentile_cont(0.5) WITHIN GROUP (
                  ORDER BY extract(epoch FROM fulfilled_at - raised_at)) / 3600)::numeric, 2)
           AS "median hours to fulfil"
FROM requests
WHERE {scope()} AND $__timeFilter(fulfilled_at) AND raised_at IS NOT NULL
GROUP BY 1
ORDER BY 1
""".strip()

DECLINES_BY_REASON = over_section(
    "declined_by_reason",
    ("reason", "declined"),
    "coalesce(reason, 'unknown') AS reason, declined",
    "ORDER BY declined DESC, reason",
)

REFERRAL_FLOWS = over_section(
    "referrals",
    ("from_partner", "to_partner", "referrals"),
    'from_partner AS "from", to_partner AS "to", referrals',
    'ORDER BY referrals DESC, from_partner COLLATE "C", to_partner COLLATE "C"',
)


def dashboard() -> Dashboard:
    return tandem_dashboard(
        UID,
        "Tandem · Requests",
        "Open requests by priority, area and age at the end of the range; time to fulfil;"
        " declines by reason; referral flows between partners.",
        "30s",
        [
            [
                headline_panel(HEADLINE["requests_open"]),
                stat_panel(
                    f"Open over {EARLY} hours",
                    OPEN_OVER_24H,
                    description=f"Open requests raised {EARLY} hours or more before the end of"
                    " the range.",
                    steps=(Step(None, "green"), Step(1, "orange"), Step(25, "red")),
                ),
                headline_panel(HEADLINE["requests_open_over_72h"]),
                headline_panel(HEADLINE["requests_median_hours"]),
                headline_panel(HEADLINE["requests_declined"]),
                headline_panel(HEADLINE["referrals"]),
            ],
            [
                bar_gauge_panel(
                    "Open requests by priority",
                    OPEN_BY_PRIORITY,
                    description="Requests open at the end of the range, by their latest priority.",
                    width=8,
                    height=9,
                ),
                bar_chart_panel(
                    "Open requests by area and priority",
                    OPEN_BY_AREA_AND_PRIORITY,
                    description="Requests open at the end of the range, by the area they were"
                    " raised in, stacked by priority.",
                    x_field="area",
                    stacked=True,
                    width=16,
                    height=9,
                ),
            ],
            [
                time_series_panel(
                    "Open requests by age, hour by hour",
                    OPEN_BY_AGE,
                    description="Each hour, the requests open then, by how long they had been"
                    " open.",
                    stacked=True,
                ),
                time_series_panel(
                    "Median time to fulfil",
                    MEDIAN_TO_FULFIL_OVER_TIME,
                    description="Of the requests fulfilled in each 6 hours, the median hours"
                    " from raised to fulfilled.",
                    unit="h",
                ),
            ],
            [
                bar_gauge_panel(
                    "Declines by reason",
                    DECLINES_BY_REASON,
                    description="Declined events up to the end of the range, by reason.",
                    width=8,
                ),
                table_panel(
                    "Referral flows between partners",
                    REFERRAL_FLOWS,
                    description="Requests referred by one partner (from) to another (to), up to"
                    " the end of the range.",
                    width=16,
                ),
            ],
        ],
    )
