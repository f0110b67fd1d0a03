"""4. Food hubs: stock and days of cover per hub and item, the hubs running short, each hub's
status, and food parcels distributed per day."""

from __future__ import annotations

from grafana_foundation_sdk.models.dashboard import Dashboard

from dashboards.area_map import map_panel
from dashboards.panels import (
    HUB_COLOURS,
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
    HUBS,
    STOCK,
    Step,
    over_section,
    scope,
)
from schemas.thresholds import LOW_COVER_DAYS, SHORT_COVER_DAYS, STOCK_WINDOW, in_days

UID = "tandem-food-hubs"

COVER = (Step(None, "red"), Step(LOW_COVER_DAYS, "orange"), Step(SHORT_COVER_DAYS, "green"))
DAYS = "suffix: days"
STOCK_DAYS = in_days(STOCK_WINDOW)

ITEMS_UNDER_COVER = over_section(
    "stock", STOCK, f"count(*) FILTER (WHERE days_of_cover < {LOW_COVER_DAYS}) AS value"
)

PARCELS_7D = over_section(
    "stock",
    STOCK,
    "coalesce(sum(distributed_7d) FILTER (WHERE item = 'food_parcel'), 0) AS value",
)

HUBS_OPEN = over_section("hubs", HUBS, "count(*) FILTER (WHERE status = 'open') AS value")

DAYS_OF_COVER = over_section(
    "stock",
    STOCK,
    'hub_id || \' · \' || item AS "hub · item", days_of_cover AS "days of cover"',
    'WHERE days_of_cover IS NOT NULL\nORDER BY days_of_cover, hub_id COLLATE "C", item COLLATE "C"',
)

STOCK_LEVEL = over_section(
    "stock",
    STOCK,
    "hub_id || ' · ' || item AS \"hub · item\", level",
    'ORDER BY hub_id COLLATE "C", item COLLATE "C"',
)

UNDER_COVER = over_section(
    "stock",
    STOCK,
    f'hub_id AS hub, item, level, distributed_7d AS "distributed, {STOCK_DAYS} days",'
    ' days_of_cover AS "days of cover"',
    f"WHERE days_of_cover < {LOW_COVER_DAYS}\n"
    'ORDER BY days_of_cover, hub_id COLLATE "C", item COLLATE "C"',
)

# The sitrep's hubs, with each hub's name and area from its latest status report.
HUB_STATUS = over_section(
    "hubs",
    HUBS,
    "section.hub_id AS hub, named.name, named.area, section.status,"
    ' section.parcels_per_day AS "parcels per day"',
    f"""
CROSS JOIN LATERAL (
    SELECT name, area FROM hub_status
    WHERE {scope()} AND hub_id = section.hub_id AND time <= {AT}
    ORDER BY time DESC, id COLLATE "C" DESC, source COLLATE "C" DESC
    LIMIT 1
) AS named
ORDER BY section.hub_id COLLATE "C"
""",
)

PARCELS_PER_DAY = f"""
SELECT $__timeGroupAlias(hour, 1d, 0), sum(value) AS "food parcels"
FROM hourly_figures
WHERE {scope()} AND metric = 'distributed' AND key = 'food_parcel' AND $__timeFilter(hour)
GROUP BY 1
ORDER BY 1
""".strip()


def dashboard() -> Dashboard:
    return tandem_dashboard(
        UID,
        "Tandem · Food hubs",
        "Stock level and days of cover per hub and item at the end of the range (cover at the"
        f" rate of the last {STOCK_DAYS} days), hubs under {LOW_COVER_DAYS} days of cover, hub"
        " status, parcels per day.",
        "1m",
        [
            [
                headline_panel(HEADLINE["hubs_under_cover"], width=6),
                stat_panel(
                    f"Items under {LOW_COVER_DAYS} days of cover",
                    ITEMS_UNDER_COVER,
                    description=f"Hub items with under {LOW_COVER_DAYS} days of cover left.",
                    steps=(Step(None, "green"), Step(1, "red")),
                    width=6,
                ),
                stat_panel(
                    f"Food parcels, last {STOCK_DAYS} days",
                    PARCELS_7D,
                    description="Food parcels distributed by every hub in the"
                    f" {STOCK_DAYS} days up to the end of the range.",
                    width=6,
                ),
                stat_panel(
                    "Hubs open",
                    HUBS_OPEN,
                    description="Hubs whose latest status report says open.",
                    width=6,
                ),
            ],
            [
                bar_gauge_panel(
                    "Days of cover per hub and item",
                    DAYS_OF_COVER,
                    description="Stock level over the average daily distribution of the last"
                    f" {STOCK_DAYS} days. Red under {LOW_COVER_DAYS} days, orange under"
                    f" {SHORT_COVER_DAYS}. Items not distributed in {STOCK_DAYS} days are left out"
                    " (their cover does not run down).",
                    unit=DAYS,
                    steps=COVER,
                    decimals=1,
                    height=14,
                ),
                bar_gauge_panel(
                    "Stock level per hub and item",
                    STOCK_LEVEL,
                    description="Units in stock: the last count plus receipts, minus"
                    " distributions since.",
                    height=14,
                ),
            ],
            [
                table_panel(
                    f"Under {LOW_COVER_DAYS} days of cover",
                    UNDER_COVER,
                    description="The hub items to restock first.",
                ),
                table_panel(
                    "Hub status",
                    HUB_STATUS,
                    description="Each hub's latest status report.",
                    colours=HUB_COLOURS,
                ),
            ],
            [map_panel("Where: the hubs by days of cover, and open urgent requests by area")],
            [
                time_series_panel(
                    "Food parcels distributed per day",
                    PARCELS_PER_DAY,
                    description="Food parcels distributed by every hub each day (UTC).",
                    bars=True,
                    width=24,
                )
            ],
        ],
    )
