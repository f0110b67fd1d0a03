"""1. Situation overview: the sitrep's headline numbers, requests raised against fulfilled hour
by hour, what the open requests need, and the latest sitrep edition with what changed."""

from __future__ import annotations

from grafana_foundation_sdk.models.dashboard import Dashboard

from dashboards.area_map import map_panel
from dashboards.panels import (
    bar_gauge_panel,
    headline_panel,
    table_panel,
    tandem_dashboard,
    time_series_panel,
)
from dashboards.sitrep_sql import HEADLINE, INCIDENT, OPEN_REQUESTS, RUN, over_section, scope

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


# Editions are of the live figures (an exercise run has none), and the latest is shown whatever
# the time range: it is what the partnership last received.
LATEST_EDITION_OF = f"""
SELECT number, at, issued_at, issued_by, changes FROM sitrep_editions
WHERE incident = {INCIDENT} AND {RUN} = 'live'
ORDER BY number DESC LIMIT 1
""".strip()

LATEST_EDITION = f"""
SELECT number AS edition, at AS "as at", issued_at AS "issued at", issued_by AS "issued by",
       (SELECT count(*) FROM jsonb_object_keys(changes)) AS "figures changed"
FROM ({LATEST_EDITION_OF}) AS latest
""".strip()

# Every figure that changed since the edition before (services/figures/changes.py), the largest
# change first; a text figure, or a line on one side only, has no numeric change and comes last.
EDITION_CHANGES = f"""
SELECT figure.key AS figure, figure.value->>'now' AS now, figure.value->>'then' AS then,
       (figure.value->>'change')::numeric AS change
FROM ({LATEST_EDITION_OF}) AS latest, jsonb_each(latest.changes) AS figure
ORDER BY abs((figure.value->>'change')::numeric) DESC NULLS LAST, figure.key
""".strip()


def dashboard() -> Dashboard:
    return tandem_dashboard(
        UID,
        "Tandem · Situation overview",
        "The sitrep's headline numbers at the end of the time range, requests raised against"
        " fulfilled hour by hour, open requests by need, and the latest sitrep edition with"
        " what changed since the one before.",
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
            [
                table_panel(
                    "Latest sitrep edition",
                    LATEST_EDITION,
                    description="The incident's latest edition as issued (`tandem sitrep issue`"
                    " or its schedule): its number, its T, when and by whom it was issued.",
                    width=8,
                ),
                table_panel(
                    "What changed since the edition before",
                    EDITION_CHANGES,
                    description="Each figure of the latest edition that changed since the one"
                    " before: now, then and the change, the largest first.",
                    width=16,
                ),
            ],
        ],
    )
