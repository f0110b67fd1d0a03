"""3. Volunteers: who is registered, available and deployed; where the available volunteers
are against where the open requests are; the time each partner's volunteers have given."""

from __future__ import annotations

from grafana_foundation_sdk.models.dashboard import Dashboard

from dashboards.panels import (
    bar_chart_panel,
    bar_gauge_panel,
    headline_panel,
    tandem_dashboard,
    time_series_panel,
)
from dashboards.sitrep_sql import HEADLINE, grafana_sql, scope
from services.figures.areas import SUPPLY_AND_DEMAND

UID = "tandem-volunteers"

MINUTES_PER_PARTNER_PER_DAY = f"""
SELECT $__timeGroupAlias(hour, 1d), key AS metric, sum(value) AS value
FROM hourly_figures
WHERE {scope()} AND metric = 'volunteer_minutes' AND $__timeFilter(hour)
GROUP BY 1, 2
ORDER BY 1, 2
""".strip()

MINUTES_PER_PARTNER = f"""
SELECT key AS partner, sum(value) AS minutes
FROM hourly_figures
WHERE {scope()} AND metric = 'volunteer_minutes' AND $__timeFilter(hour)
GROUP BY key
ORDER BY minutes DESC, partner
""".strip()


def dashboard() -> Dashboard:
    return tandem_dashboard(
        UID,
        "Tandem · Volunteers",
        "Volunteers registered, available, deployed and never deployed at the end of the range;"
        " available volunteers against open requests by area; minutes given per partner.",
        "30s",
        [
            [
                headline_panel(HEADLINE["volunteers_registered"], width=5),
                headline_panel(HEADLINE["volunteers_available"], width=5),
                headline_panel(HEADLINE["volunteers_deployed_now"], width=5),
                headline_panel(HEADLINE["volunteers_never_deployed"], width=5),
                headline_panel(HEADLINE["volunteer_minutes_24h"], width=4),
            ],
            [
                bar_chart_panel(
                    "Supply and demand by area",
                    grafana_sql(SUPPLY_AND_DEMAND),
                    description="Available volunteers by the areas they cover (a volunteer"
                    " covering two areas counts in both) against open requests by area, at the"
                    " end of the range.",
                    x_field="area",
                    width=24,
                    height=10,
                )
            ],
            [
                time_series_panel(
                    "Minutes given per partner per day",
                    MINUTES_PER_PARTNER_PER_DAY,
                    description="Minutes of volunteers who checked out each day (UTC), by the"
                    " partner that deployed them.",
                    unit="m",
                    bars=True,
                    stacked=True,
                    width=16,
                    height=9,
                ),
                bar_gauge_panel(
                    "Minutes given per partner",
                    MINUTES_PER_PARTNER,
                    description="Minutes of volunteers who checked out in the range, by partner.",
                    unit="m",
                    width=8,
                    height=9,
                ),
            ],
        ],
    )
