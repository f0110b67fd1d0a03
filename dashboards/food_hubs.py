"""4. Food hubs: stock and days of cover per hub and item, the hubs running short, each hub's
status, and food parcels distributed per day."""

from __future__ import annotations

from grafana_foundation_sdk.models.dashboard import Dashboard

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
    COVER_DAYS,
    HEADLINE,
    HUBS,
    STOCK,
    Step,
    over_section,
    scope,
)

UID = "tandem-food-hubs"

COVER = (Step(None, "red"), Step(COVER_DAYS, "orange"), Step(7, "green"))
DAYS = "suffix: days"

ITEMS_UNDER_COVER = over_section(
    "stock", STOCK, f"count(*) FILTER (WHERE days_of_cover < {COVER_DAYS}) AS value"
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
    'hub_id AS hub, item, level, distributed_7d AS "distributed, 7 days",'
    ' days_of_cover AS "days of cover"',
    f"WHERE days_of_cover < {COVER_DAYS}\n"
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
        " rate of the last 7 days), hubs under 3 days of cover, hub status, parcels per day.",
        "1m",
        [
            [
                headline_panel(HEADLINE["hubs_under_cover"], width=6),
                stat_panel(
                    f"Items under {COVER_DAYS} days of cover",
                    ITEMS_UNDER_COVER,
                    description="Hub items with under 3 days of cover left.",
                    steps=(Step(None, "green"), Step(1, "red")),
                    width=6,
                ),
                stat_panel(
                    "Food parcels, last 7 days",
                    PARCELS_7D,
                    description="Food parcels distributed by every hub in the 7 days up to the"
                    " end of the range.",
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
                    description="Stock level over the average daily distribution of the last 7"
                    " days. Red under 3 days, orange under 7. Items not distributed in 7 days"
                    " are left out (their cover does not run down).",
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
                    f"Under {COVER_DAYS} days of cover",
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
