"""The sitrep's SQL as Grafana runs it, so that a headline number is defined once.

Every section of `services.figures.sitrep.SECTIONS` is taken as it is, with its psycopg
parameters turned into Grafana expressions: the run and incident come from the dashboard's
template variables, T is the end of the dashboard's time range, and the instants the sitrep
derives from T are derived here from the same constants. A headline is one number over the rows
of one section, next to the path to the same number in the `Sitrep` object, which the tests
compare.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from schemas.thresholds import (
    AGEING,
    LOW_COVER_DAYS,
    STOCK_WINDOW,
    URGENT_WAIT,
    WINDOW,
    in_days,
    in_hours,
)
from services.figures.sitrep import SECTIONS, Sitrep

RUN = "${run:sqlstring}"
INCIDENT = "${incident:sqlstring}"
# Grafana writes `$__timeTo()` as an untyped literal; typed, it subtracts and compares as the
# psycopg parameter did.
AT = "$__timeTo()::timestamptz"

PARAM = re.compile(r"%\((\w+)\)s")


def scope(table: str = "", run: str = RUN) -> str:
    """The filter every figures query starts with, as every index does: run, then incident."""
    prefix = f"{table}." if table else ""
    return f"{prefix}run = {run} AND {prefix}incident = {INCIDENT}"


def before_at(span: timedelta, at: str = AT) -> str:
    """T minus `span`, in whole hours: `interval 'N days'` would follow the session's time zone."""
    return f"({at} - interval '{in_hours(span)} hours')"


def params_at(at: str, run: str = RUN, incident: str = INCIDENT) -> dict[str, str]:
    """SQL expressions for every parameter of the sitrep's sections, T being `at`."""
    return {
        "run": run,
        "incident": incident,
        "at": at,
        "window_start": before_at(WINDOW, at),
        "ageing_cutoff": before_at(AGEING, at),
        "urgent_cutoff": before_at(URGENT_WAIT, at),
        "stock_window_start": before_at(STOCK_WINDOW, at),
        "hour": f"date_trunc('hour', {at}, 'UTC')",
    }


GRAFANA_PARAMS = {**params_at(AT), "from": "$__timeFrom()::timestamptz"}


def grafana_sql(sql: str, **overrides: str) -> str:
    """A figures query (psycopg parameters) with Grafana expressions for its parameters: `from`
    and `at` the start and end of the dashboard's range."""
    params = {**GRAFANA_PARAMS, **overrides}

    def expression(match: re.Match[str]) -> str:
        return params[match.group(1)]

    return PARAM.sub(expression, sql).replace("%%", "%").strip()


def section(name: str, **overrides: str) -> str:
    """The sitrep section `name` with Grafana expressions for its parameters."""
    return grafana_sql(SECTIONS[name], **overrides)


def over_section(
    name: str, columns: tuple[str, ...], select: str, rest: str = "", **overrides: str
) -> str:
    """`SELECT <select> FROM (<section>) AS section (<columns>) <rest>`: a section's rows, named."""
    body = "\n".join(
        "    " + line if line else line for line in section(name, **overrides).splitlines()
    )
    tail = f"\n{rest.strip()}" if rest.strip() else ""
    return f"SELECT {select}\nFROM (\n{body}\n) AS section ({', '.join(columns)}){tail}"


OPEN_REQUESTS = ("need", "priority", "open", "open_over_72h")
VOLUNTEERS = ("registered", "available", "never_deployed")
STOCK = ("hub_id", "item", "level", "distributed_7d", "days_of_cover")
HUBS = ("hub_id", "status", "parcels_per_day", "area", "name", "latitude", "longitude")
PARTNER_ACTIVITY = ("partner", "metric", "value")
CAPACITY = ("partner", "status")


@dataclass(frozen=True)
class Step:
    """A threshold: from `value` up (None: from the lowest value), shown in `color`."""

    value: float | None
    color: str


NEUTRAL = (Step(None, "blue"),)
ZERO_IS_GOOD = (Step(None, "green"), Step(1, "red"))


@dataclass(frozen=True)
class Headline:
    """One sitrep figure as a number: the SQL Grafana runs, and where the sitrep has it."""

    key: str
    title: str
    description: str
    section: str
    columns: tuple[str, ...]
    value: str
    of_sitrep: Callable[[Sitrep], float | int | None]
    unit: str = "short"
    thresholds: tuple[Step, ...] = NEUTRAL
    decimals: int | None = None
    overrides: dict[str, str] = field(default_factory=dict)

    @property
    def sql(self) -> str:
        return self.sql_with()

    def sql_with(self, **params: str) -> str:
        """The headline's SQL with some parameters given other expressions (e.g. another run)."""
        return over_section(
            self.section, self.columns, f"{self.value} AS value", **{**self.overrides, **params}
        )


def _hubs_under_cover(report: Sitrep) -> int:
    return len(
        {
            line.hub_id
            for line in report.stock
            if line.days_of_cover is not None and line.days_of_cover < LOW_COVER_DAYS
        }
    )


HEADLINES: tuple[Headline, ...] = (
    Headline(
        "requests_raised",
        "Requests raised",
        "Distinct requests raised by the end of the range.",
        "raised_total",
        ("raised",),
        "raised",
        lambda s: s.requests.raised_total,
    ),
    Headline(
        "requests_open",
        "Open requests",
        "Requests raised and not yet fulfilled or cancelled at the end of the range.",
        "open_requests",
        OPEN_REQUESTS,
        "coalesce(sum(open), 0)",
        lambda s: s.requests.open,
    ),
    Headline(
        "requests_open_over_72h",
        f"Open over {in_hours(AGEING)} hours",
        f"Open requests raised {in_hours(AGEING)} hours or more before the end of the range.",
        "open_requests",
        OPEN_REQUESTS,
        "coalesce(sum(open_over_72h), 0)",
        lambda s: s.requests.open_over_72h,
        thresholds=(Step(None, "green"), Step(1, "orange"), Step(10, "red")),
    ),
    Headline(
        "requests_fulfilled_24h",
        f"Fulfilled, last {in_hours(WINDOW)} hours",
        f"Requests fulfilled in the {in_hours(WINDOW)} hours up to the end of the range.",
        "fulfilled_window",
        ("fulfilled",),
        "fulfilled",
        lambda s: s.requests.fulfilled_window,
    ),
    Headline(
        "requests_median_hours",
        "Median time to fulfil",
        "Median hours from raised to fulfilled, over every request fulfilled so far.",
        "median_hours_to_fulfil",
        ("hours",),
        "hours",
        lambda s: s.requests.median_hours_to_fulfil,
        unit="h",
        thresholds=(Step(None, "green"), Step(24, "orange"), Step(72, "red")),
        decimals=2,
    ),
    Headline(
        "requests_declined",
        "Declines",
        "Declined events so far, whatever the reason.",
        "declined_by_reason",
        ("reason", "declined"),
        "coalesce(sum(declined), 0)",
        lambda s: sum(s.requests.declined_by_reason.values()),
        thresholds=(Step(None, "blue"),),
    ),
    Headline(
        "referrals",
        "Referrals",
        "Requests referred from one partner to another so far.",
        "referrals",
        ("from_partner", "to_partner", "referrals"),
        "coalesce(sum(referrals), 0)",
        lambda s: sum(r.count for r in s.referrals),
    ),
    Headline(
        "volunteers_registered",
        "Volunteers registered",
        "Volunteers registered and not stood down.",
        "volunteers",
        VOLUNTEERS,
        "registered",
        lambda s: s.volunteers.registered,
    ),
    Headline(
        "volunteers_available",
        "Volunteers available",
        "Registered volunteers whose latest availability says available.",
        "volunteers",
        VOLUNTEERS,
        "available",
        lambda s: s.volunteers.available,
    ),
    Headline(
        "volunteers_deployed_now",
        "Deployed now",
        "Deployments checked in and not checked out at the end of the range.",
        "deployed_now",
        ("deployed",),
        "deployed",
        lambda s: s.volunteers.deployed_now,
    ),
    Headline(
        "volunteers_never_deployed",
        "Never deployed",
        "Registered volunteers never deployed: the idle goodwill to re-engage.",
        "volunteers",
        VOLUNTEERS,
        "never_deployed",
        lambda s: s.volunteers.never_deployed,
        thresholds=(Step(None, "purple"),),
    ),
    Headline(
        "volunteer_minutes_24h",
        f"Volunteer time, last {in_hours(WINDOW)} hours",
        f"Minutes given by volunteers who checked out in the {in_hours(WINDOW)} hours up to the"
        " end of the range.",
        "minutes_window",
        ("minutes",),
        "minutes",
        lambda s: s.volunteers.minutes_window,
        unit="m",
    ),
    Headline(
        "hubs_under_cover",
        f"Hubs under {LOW_COVER_DAYS} days of cover",
        f"Hubs with any item under {LOW_COVER_DAYS} days of cover at the rate of the last"
        f" {in_days(STOCK_WINDOW)} days.",
        "stock",
        STOCK,
        f"count(DISTINCT hub_id) FILTER (WHERE days_of_cover < {LOW_COVER_DAYS})",
        _hubs_under_cover,
        thresholds=ZERO_IS_GOOD,
    ),
    Headline(
        "partners_overwhelmed",
        "Partners overwhelmed",
        "Partners whose latest capacity report says overwhelmed.",
        "capacity",
        CAPACITY,
        "count(*) FILTER (WHERE status = 'overwhelmed')",
        lambda s: sum(1 for p in s.partners if p.capacity_status == "overwhelmed"),
        thresholds=ZERO_IS_GOOD,
    ),
)

HEADLINE = {headline.key: headline for headline in HEADLINES}
