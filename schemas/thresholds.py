"""The windows and thresholds the figures are read with, once: the sitrep, the dashboards
(their SQL, colours, titles and descriptions), the alerts and the README all take them from here.
"""

from __future__ import annotations

from datetime import timedelta

WINDOW = timedelta(hours=24)
"""The windowed figures (docs/figures.md): fulfilled, volunteer minutes, deployments in the
24 hours up to T. Shown as "last 24 hours" in the sitrep, the overview and volunteers boards."""

STOCK_WINDOW = timedelta(days=7)
"""Stock distributed over this span up to T is the rate days of cover are reckoned at
(`distributed_7d`, `days_of_cover` = level ÷ (distributed_7d ÷ 7)): the sitrep's stock section
and the food hubs board."""

AGEING = timedelta(hours=72)
"""Open requests raised this long before T are overdue: the sitrep's `open_over_72h`, the
"Open over 72 hours" headline, the oldest band of the requests board's ages."""

AGEING_EARLY = timedelta(hours=24)
"""The early warning before `AGEING`: the requests board's "Open over 24 hours" and the
middle band of its ages (docs/figures.md)."""

URGENT_WAIT = timedelta(hours=4)
"""An urgent request still open this long after it was raised is unmet: the Grafana alert
*Urgent request open over 4 hours* (docs/figures.md, the alerts)."""

SILENT = timedelta(hours=2)
"""A partner with no event for this long during an incident may have lost its feed: the
Grafana alert *No events from a partner for 2 hours*."""

LOW_COVER_DAYS = 3
"""A hub item under this many days of cover is low, to restock first: red on the food hubs
board, counted by the "Hubs under 3 days of cover" headline (docs/figures.md)."""

CRITICAL_COVER_DAYS = 2
"""A hub item under this many days of cover fires the Grafana alert *Hub under 2 days of
cover*. Lower than `LOW_COVER_DAYS` on purpose: low is planning (the boards show it, restocking
is arranged), critical is a page to someone now, so the alert fires on the red items that have
not been restocked in time rather than on every red one."""

SHORT_COVER_DAYS = 7
"""Under a week of cover: orange on the food hubs board's days-of-cover gauge (red under
`LOW_COVER_DAYS`)."""

BEHIND_SECONDS = 60.0
"""Figures are behind when an event stored this long ago is not yet in every consumer: the
threshold of `/readyz`, `tandem status` and the Grafana alert *Accepted events not yet in the
figures* alike."""


def in_hours(span: timedelta) -> int:
    """`span` in whole hours, for SQL intervals and panel text; ValueError when it is not."""
    hours, rest = divmod(span, timedelta(hours=1))
    if rest:
        raise ValueError(f"{span} is not a whole number of hours")
    return int(hours)


def in_days(span: timedelta) -> int:
    """`span` in whole days, for panel text and the days-of-cover rate; ValueError otherwise."""
    days, rest = divmod(span, timedelta(days=1))
    if rest:
        raise ValueError(f"{span} is not a whole number of days")
    return int(days)
