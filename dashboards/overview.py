"""1. Situation overview: the sitrep's headline numbers, requests raised against fulfilled hour
by hour, and what the open requests need."""

from __future__ import annotations

from grafana_foundation_sdk.models.dashboard import Dashboard

from dashboards.area_map import map_panel
from dashboards.panels import bar_gauge_panel, headline_panel, tandem_dashboard, time_series_panel
from dashboards.sitrep_sql import HEADLINE, OPEN_REQUESTS, over_section, scope

UID = "tandem-overview"

TOP_ROW = (
    "requests_raised",
    "requests_open",
    "requests_open_over_72h",
    "requests_fulfilled_24h",
    "requests_median_hours",
    "hubs_under_cover",
)
SECOND_ROW = (
    "volunteers_registered",
    "volunteers_available",
    "volunteers_deployed_now",
    "volunteers_never_deployed",
    "volunteer_minutes_24h",
    "partners_overwhelmed",
)

RAISED_VS_FULFILLED = f"""
SELECT $__timeGroupAlias(hour, 1h, 0),
       coalesce(sum(value) FILTER (WHERE metric = 'raised'), 0) AS raised,
       coalesce(sum(value) FILTER (WHERE metric = 'fulfilled'), 0) AS fulfilled
FROM hourly_figures
WHERE {scope()} AND metric IN ('raised', 'fulfilled') AND $__timeFilter(hour)
GROUP BY 1
ORDER BY 1
""".strip()

OPEN_BY_NEED = over_section(
    "open_requests",
    OPEN_REQUESTS,
    "need, sum(open)::bigint AS open",
    "GROUP BY need\nORDER BY open DESC, need",
)


def dashboard() -> Dashboard:
    return tandem_dashboard(
        UID,
        "Tandem · Situation overview",
        "The sitrep's headline numbers at the end of the time range, requests raised against"
        " fulfilled hour by hour, and open requests by need.",
        "10s",
        [
            [headline_panel(HEADLINE[key]) for key in TOP_ROW],
            [headline_panel(HEADLINE[key]) for key in SECOND_ROW],
            [map_panel("Where: open urgent requests by area, and the hubs")],
            [
                time_series_panel(
                    "Requests raised and fulfilled per hour",
                    RAISED_VS_FULFILLED,
                    description="Requests raised and requests fulfilled in each hour (UTC).",
                    width=16,
                    height=9,
                ),
                bar_gauge_panel(
                    "Open requests by need",
                    OPEN_BY_NEED,
                    description="Requests open at the end of the range, by their latest need.",
                    width=8,
                    height=9,
                ),
            ],
        ],
    )
