"""The situation report of docs/figures.md, read from the figures tables as of any time T.

Each section is one SQL statement over the figures the aggregator maintains, each an index range
query around T rather than a scan of the incident's events. The statements go to the server in
one pipeline (one round trip) and, on an idle connection, inside one read-only snapshot, so the
numbers of a report agree with each other while the aggregator keeps writing. From a pool (the
gateway's), they go in two halves on two connections at once, the second reading in the
snapshot the first exported: the same agreement, in about half the time where PostgreSQL has a
core to spare.

Lists are sorted with `COLLATE "C"` (code point order) so that the order does not depend on the
database's locale. Ties between events at the same time are broken as in the test oracle
(tests/support/reference/sitrep.py): by event id, then source.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg import sql
from psycopg.pq import TransactionStatus
from psycopg.rows import tuple_row
from psycopg_pool import AsyncConnectionPool
from pydantic import Field, TypeAdapter, ValidationError, field_serializer

from schemas.envelope import EventTime
from schemas.lifecycle import ACCEPTED, DECLINED, FULFILLED, REFERRED, STEP, steps
from schemas.thresholds import AGEING, STOCK_WINDOW, URGENT_WAIT, WINDOW, in_days
from services.figures import areas
from services.figures.areas import RESOLVE, AreaLine
from services.figures.model import Figures, Rows


class RequestFigures(Figures):
    raised_total: int
    open: int
    open_by_need: dict[str, int]
    open_by_priority: dict[str, int]
    open_over_72h: int
    fulfilled_window: int
    median_hours_to_fulfil: float | None
    declined_by_reason: dict[str, int]


class Referral(Figures):
    from_partner: str = Field(alias="from")
    to: str
    count: int


class VolunteerFigures(Figures):
    registered: int
    available: int
    deployed_now: int
    never_deployed: int
    minutes_window: int


class StockLine(Figures):
    hub_id: str
    item: str
    level: int
    distributed_7d: int
    days_of_cover: float | None


class HubLine(Figures):
    hub_id: str
    status: str
    parcels_per_day: int


class PartnerLine(Figures):
    partner: str
    events: int
    requests_accepted: int
    requests_fulfilled: int
    capacity_status: str | None


class Sitrep(Figures):
    incident: str
    at: datetime
    requests: RequestFigures
    referrals: list[Referral]
    volunteers: VolunteerFigures
    stock: list[StockLine]
    hubs: list[HubLine]
    partners: list[PartnerLine]
    areas: list[AreaLine]

    @field_serializer("at", when_used="json")
    def _rfc3339_utc(self, at: datetime) -> str:
        return rfc3339_utc(at)


AT = TypeAdapter(EventTime)


def parse_at(text: str) -> datetime:
    """T from RFC 3339 text with an offset, read as event times are; ValueError otherwise."""
    try:
        return AT.validate_python(text).astimezone(UTC)
    except ValidationError as exc:
        raise ValueError(f"at {text!r}: {exc.errors()[0]['msg']}") from None


def rfc3339_utc(at: datetime) -> str:
    """`2020-04-01T12:00:00Z`, with microseconds only when there are some."""
    at = at.astimezone(UTC)
    fraction = f".{at.microsecond:06d}" if at.microsecond else ""
    return at.strftime("%Y-%m-%dT%H:%M:%S") + fraction + "Z"


@dataclass(frozen=True)
class Moment:
    """The instants a sitrep at `at` asks about, worked out once in UTC.

    Done here rather than in SQL: there, `interval '7 days'` and `date_trunc` follow the
    session's time zone, and a week across a clock change would not be 168 hours.
    """

    run: str
    incident: str
    at: datetime

    @classmethod
    def of(cls, run: str, incident: str, at: datetime) -> Moment:
        if at.tzinfo is None:
            raise ValueError("at must be timezone-aware")
        return cls(run, incident, at.astimezone(UTC))

    def params(self) -> dict[str, object]:
        return {
            "run": self.run,
            "incident": self.incident,
            "at": self.at,
            "window_start": self.at - WINDOW,
            "ageing_cutoff": self.at - AGEING,
            "urgent_cutoff": self.at - URGENT_WAIT,
            "stock_window_start": self.at - STOCK_WINDOW,
            # hourly_figures hold whole UTC hours; the hour T is in is read from the details.
            "hour": self.at.replace(minute=0, second=0, microsecond=0),
        }


# One statement per section. Every one filters on (run, incident) first, as every index does.

RAISED_TOTAL = """
SELECT count(*) FROM requests
WHERE run = %(run)s AND incident = %(incident)s AND raised_at <= %(at)s
"""

# The stretch of each request's timeline that contains T, where it is open, by the GiST index.
# T is given as a sub-select so that the planner does not estimate from the table's range
# histogram: every closed request ends in an open-ended stretch that contains T too, so the
# estimate would be tens of times the open requests and the planner would scan the table.
OPEN_REQUESTS = """
SELECT need, priority, count(*), count(*) FILTER (WHERE raised_at <= %(ageing_cutoff)s)
FROM request_timeline
WHERE run = %(run)s AND incident = %(incident)s
  AND open AND during @> (SELECT %(at)s::timestamptz)
GROUP BY need, priority
"""

# Per request, not per event: a request fulfilled twice counts once.
FULFILLED_WINDOW = f"""
SELECT count(DISTINCT request_id) FROM request_events
WHERE run = %(run)s AND incident = %(incident)s AND step = {STEP[FULFILLED]}
  AND time > %(window_start)s AND time <= %(at)s
"""

# An exact median in one sort: percentile_disc(f) is the value at position ceil(f * n), so f = 1/2
# gives the lower middle and f = 1/2 + 1/(4n) the upper middle (the same one when n is odd; n = 0
# is kept from dividing by zero, though there is no middle then and the answer is null).
# Their mean is taken in exact numeric seconds; percentile_cont would interpolate in double
# precision, which can tip an exact half either way when rounding.
MEDIAN_HOURS_TO_FULFIL = """
WITH fulfilled AS NOT MATERIALIZED (
    SELECT fulfilled_at - raised_at AS took FROM requests
    WHERE run = %(run)s AND incident = %(incident)s
      AND fulfilled_at <= %(at)s AND raised_at <= %(at)s
)
SELECT round(avg(extract(epoch FROM middle)) / 3600, 2)
FROM unnest((
    SELECT percentile_disc(ARRAY[0.5, 0.5 + 0.25 / (SELECT greatest(count(*), 1) FROM fulfilled)])
           WITHIN GROUP (ORDER BY took)
    FROM fulfilled
)) AS middle
"""

# Every declined event counts.
DECLINED_BY_REASON = f"""
SELECT reason, count(*) FROM request_events
WHERE run = %(run)s AND incident = %(incident)s AND step = {STEP[DECLINED]} AND time <= %(at)s
GROUP BY reason
"""

REFERRALS = f"""
SELECT partner, to_partner, count(*) FROM request_events
WHERE run = %(run)s AND incident = %(incident)s AND step = {STEP[REFERRED]} AND time <= %(at)s
GROUP BY partner, to_partner
ORDER BY count(*) DESC, partner COLLATE "C", to_partner COLLATE "C"
"""

# Volunteers registered at T (the GiST index), and which of them had been deployed by T.
VOLUNTEERS = """
SELECT count(*),
       count(*) FILTER (WHERE standing.available),
       count(*) FILTER (WHERE deployed.volunteer_id IS NULL)
FROM volunteer_timeline standing
LEFT JOIN volunteer_first_deployed deployed
  ON deployed.run = standing.run AND deployed.incident = standing.incident
 AND deployed.volunteer_id = standing.volunteer_id AND deployed.deployed_at <= %(at)s
WHERE standing.run = %(run)s AND standing.incident = %(incident)s
  AND standing.registered AND standing.during @> %(at)s::timestamptz
"""

# Checked in by T and not checked out by T, whatever the order of the two.
DEPLOYED_NOW = """
SELECT count(*) FROM deployments
WHERE run = %(run)s AND incident = %(incident)s AND checked_in_at <= %(at)s
  AND (checked_out_at IS NULL OR checked_out_at > %(at)s)
"""

MINUTES_WINDOW = """
SELECT coalesce(sum(minutes), 0) FROM deployment_events
WHERE run = %(run)s AND incident = %(incident)s AND kind = 'checked_out'
  AND time > %(window_start)s AND time <= %(at)s
"""

# Each (hub, item) is found by skipping through the index, one probe per pair. For each, its
# last count by T (the larger quantity on ties), then one range read from the earlier of that
# count and the 7-day window up to T gives the movements after the count and the distributions
# in the window. A pair whose first event is after T has no count and no movement: no line.
# Days of cover: the level over the daily rate of distribution in the stock window.
STOCK_DAYS = in_days(STOCK_WINDOW)
STOCK = f"""
WITH RECURSIVE pairs (hub_id, item) AS (
    (SELECT hub_id, item FROM stock_events
     WHERE run = %(run)s AND incident = %(incident)s
     ORDER BY hub_id, item LIMIT 1)
    UNION ALL
    SELECT next.hub_id, next.item
    FROM pairs, LATERAL (
        SELECT hub_id, item FROM stock_events
        WHERE run = %(run)s AND incident = %(incident)s
          AND (hub_id, item) > (pairs.hub_id, pairs.item)
        ORDER BY hub_id, item LIMIT 1
    ) AS next
),
levels AS (
    SELECT pairs.hub_id, pairs.item, last_count.time AS counted_at,
           coalesce(last_count.quantity, 0) + coalesce(since.moved, 0) AS level,
           coalesce(since.distributed_7d, 0) AS distributed_7d, since.events
    FROM pairs
    LEFT JOIN LATERAL (
        SELECT time, quantity FROM stock_events
        WHERE run = %(run)s AND incident = %(incident)s
          AND hub_id = pairs.hub_id AND item = pairs.item
          AND kind = 'counted' AND time <= %(at)s
        ORDER BY time DESC, quantity DESC LIMIT 1
    ) AS last_count ON true
    CROSS JOIN LATERAL (
        SELECT sum(CASE kind WHEN 'received' THEN quantity
                             WHEN 'distributed' THEN -quantity ELSE 0 END)
                   FILTER (WHERE last_count.time IS NULL OR time > last_count.time) AS moved,
               sum(quantity)
                   FILTER (WHERE kind = 'distributed' AND time > %(stock_window_start)s)
                   AS distributed_7d,
               count(*) AS events
        FROM stock_events
        WHERE run = %(run)s AND incident = %(incident)s
          AND hub_id = pairs.hub_id AND item = pairs.item
          AND time > least(coalesce(last_count.time, '-infinity'), %(stock_window_start)s)
          AND time <= %(at)s
    ) AS since
)
SELECT hub_id, item, level, distributed_7d,
       CASE WHEN distributed_7d > 0
            THEN round(level * {STOCK_DAYS}::numeric / distributed_7d, 1) END
FROM levels
WHERE counted_at IS NOT NULL OR events > 0
ORDER BY hub_id COLLATE "C", item COLLATE "C"
"""

# Each hub's latest status by T, with its area resolved (see areas.py) and where it says it is.
HUBS = f"""
SELECT latest.hub_id, latest.status, latest.parcels_per_day, {areas.AREA}, latest.name,
       latest.latitude, latest.longitude
FROM (
    SELECT DISTINCT ON (hub_id COLLATE "C") hub_id, status, parcels_per_day, area, name,
           latitude, longitude
    FROM hub_status
    WHERE run = %(run)s AND incident = %(incident)s AND time <= %(at)s
    ORDER BY hub_id COLLATE "C", time DESC, id COLLATE "C" DESC, source COLLATE "C" DESC
) AS latest
{RESOLVE.format(value="latest.area")}
ORDER BY latest.hub_id COLLATE "C"
"""

# Whole hours before the hour T is in from hourly_figures, that hour up to T from the details.
# accepted and fulfilled_by are keyed by the publishing partner.
PARTNER_ACTIVITY = f"""
SELECT partner, metric, sum(value)::bigint FROM (
    SELECT key AS partner, metric, value FROM hourly_figures
    WHERE run = %(run)s AND incident = %(incident)s
      AND metric IN ('events', 'accepted', 'fulfilled_by') AND hour < %(hour)s
    UNION ALL
    SELECT partner, 'events', 1 FROM counted_events
    WHERE run = %(run)s AND incident = %(incident)s AND time >= %(hour)s AND time <= %(at)s
    UNION ALL
    SELECT partner, CASE step WHEN {STEP[ACCEPTED]} THEN 'accepted' ELSE 'fulfilled_by' END, 1
    FROM request_events
    WHERE run = %(run)s AND incident = %(incident)s AND step IN ({steps((ACCEPTED, FULFILLED))})
      AND time >= %(hour)s AND time <= %(at)s
) AS published
GROUP BY partner, metric
"""

# Latest capacity event by T whatever its need.
CAPACITY = """
SELECT DISTINCT ON (partner) partner, status FROM partner_capacity
WHERE run = %(run)s AND incident = %(incident)s AND time <= %(at)s
ORDER BY partner, time DESC, id COLLATE "C" DESC, source COLLATE "C" DESC
"""

SECTIONS = {
    "raised_total": RAISED_TOTAL,
    "open_requests": OPEN_REQUESTS,
    "fulfilled_window": FULFILLED_WINDOW,
    "median_hours_to_fulfil": MEDIAN_HOURS_TO_FULFIL,
    "declined_by_reason": DECLINED_BY_REASON,
    "referrals": REFERRALS,
    "volunteers": VOLUNTEERS,
    "deployed_now": DEPLOYED_NOW,
    "minutes_window": MINUTES_WINDOW,
    "stock": STOCK,
    "hubs": HUBS,
    "partner_activity": PARTNER_ACTIVITY,
    "capacity": CAPACITY,
    **areas.SECTIONS,
}

SNAPSHOT = "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"


# What a map needs: the areas' own sections, and the hubs and stock their hubs and cover come from.
AREA_SECTIONS = (*areas.SECTIONS, "hubs", "stock")


class AreaFigures(Figures):
    """The figures by area alone (the sitrep's `areas`), for maps: a fraction of the sitrep's
    statements."""

    incident: str
    at: datetime
    areas: list[AreaLine]


def sitrep(conn: psycopg.Connection[Any], incident: str, at: datetime, run: str = "live") -> Sitrep:
    """The sitrep of `incident` at `at` (timezone-aware) in `run`, from the figures tables."""
    moment = Moment.of(run, incident, at)
    return report(moment, read_sections(conn, moment, SECTIONS))


async def sitrep_async(
    pool: AsyncConnectionPool, incident: str, at: datetime, run: str = "live"
) -> Sitrep:
    """`sitrep` from a pool: the same statements, the same report, read in two halves at once
    (see `read_sections_shared`)."""
    moment = Moment.of(run, incident, at)
    return report(moment, await read_sections_shared(pool, moment, SECTIONS))


async def area_figures_async(
    pool: AsyncConnectionPool, incident: str, at: datetime, run: str = "live"
) -> AreaFigures:
    """The sitrep's `areas` at `at`, by the same statements, without the rest of the report."""
    moment = Moment.of(run, incident, at)
    rows = await read_sections_shared(pool, moment, AREA_SECTIONS)
    return AreaFigures.model_validate(
        {"incident": moment.incident, "at": moment.at, "areas": areas.area_lines(rows)}
    )


def read_sections(conn: psycopg.Connection[Any], moment: Moment, names: Iterable[str]) -> Rows:
    """The rows of each section named, in one round trip and, on an idle connection, in one
    read-only snapshot."""
    params = moment.params()
    idle = conn.info.transaction_status == TransactionStatus.IDLE
    with conn.transaction():
        if idle:
            conn.execute(SNAPSHOT)
        with conn.pipeline():
            cursors = {
                name: conn.cursor(row_factory=tuple_row).execute(SECTIONS[name], params)
                for name in names
            }
            return {name: cursor.fetchall() for name, cursor in cursors.items()}


# The sections that take about half the time of a report on a big incident (measured on a
# million events over 650 areas): read on one connection while the others are read on another.
FIRST_HALF = frozenset(
    {"area_volunteers", "volunteers", "median_hours_to_fulfil", "referrals", "raised_total"}
)


async def read_sections_shared(
    pool: AsyncConnectionPool, moment: Moment, names: Iterable[str]
) -> Rows:
    """`read_sections` on two connections of `pool` at once, in one read-only snapshot: the
    first exports it and the second reads in it, so the numbers still agree with each other
    while a report takes about half as long where PostgreSQL has a core to spare."""
    first_half = [name for name in names if name in FIRST_HALF]
    second_half = [name for name in names if name not in FIRST_HALF]
    async with pool.connection() as first, pool.connection() as second, first.transaction():
        await first.execute(SNAPSHOT)
        exported = await (await first.execute("SELECT pg_export_snapshot()")).fetchone()
        assert exported is not None
        async with second.transaction():
            await second.execute(SNAPSHOT)
            await second.execute(
                sql.SQL("SET TRANSACTION SNAPSHOT {}").format(sql.Literal(exported[0]))
            )
            rows = await asyncio.gather(
                pipelined(first, moment, first_half), pipelined(second, moment, second_half)
            )
    return rows[0] | rows[1]


async def pipelined(
    conn: psycopg.AsyncConnection[Any], moment: Moment, names: Iterable[str]
) -> Rows:
    """The rows of each section named, in one round trip, in the connection's transaction."""
    params = moment.params()
    async with conn.pipeline():
        cursors = {
            name: await conn.cursor(row_factory=tuple_row).execute(SECTIONS[name], params)
            for name in names
        }
        return {name: await cursor.fetchall() for name, cursor in cursors.items()}


def report(moment: Moment, rows: Rows) -> Sitrep:
    """The sitrep object from the rows of each section."""
    return Sitrep.model_validate(
        {
            "incident": moment.incident,
            "at": moment.at,
            "requests": request_figures(rows),
            "referrals": [
                {"from": source, "to": target, "count": count}
                for source, target, count in rows["referrals"]
            ],
            "volunteers": volunteer_figures(rows),
            "stock": [
                {
                    "hub_id": hub_id,
                    "item": item,
                    "level": level,
                    "distributed_7d": distributed_7d,
                    "days_of_cover": days_of_cover,
                }
                for hub_id, item, level, distributed_7d, days_of_cover in rows["stock"]
            ],
            "hubs": [
                {"hub_id": hub_id, "status": status, "parcels_per_day": parcels}
                for hub_id, status, parcels, *_place in rows["hubs"]
            ],
            "partners": partner_lines(rows),
            "areas": areas.area_lines(rows),
        }
    )


def request_figures(rows: Rows) -> dict[str, Any]:
    by_need: dict[str, int] = defaultdict(int)
    by_priority: dict[str, int] = defaultdict(int)
    over_72h = 0
    for need, priority, count, old in rows["open_requests"]:
        by_need[need] += count
        by_priority[priority] += count
        over_72h += old
    ((raised_total,),) = rows["raised_total"]
    ((fulfilled_window,),) = rows["fulfilled_window"]
    ((median,),) = rows["median_hours_to_fulfil"]
    return {
        "raised_total": raised_total,
        "open": sum(by_need.values()),
        "open_by_need": dict(by_need),
        "open_by_priority": dict(by_priority),
        "open_over_72h": over_72h,
        "fulfilled_window": fulfilled_window,
        "median_hours_to_fulfil": median,
        "declined_by_reason": dict(rows["declined_by_reason"]),
    }


def volunteer_figures(rows: Rows) -> dict[str, Any]:
    ((registered, available, never_deployed),) = rows["volunteers"]
    ((deployed_now,),) = rows["deployed_now"]
    ((minutes_window,),) = rows["minutes_window"]
    return {
        "registered": registered,
        "available": available,
        "deployed_now": deployed_now,
        "never_deployed": never_deployed,
        "minutes_window": minutes_window,
    }


def partner_lines(rows: Rows) -> list[dict[str, Any]]:
    published: dict[str, dict[str, int]] = defaultdict(dict)
    for partner, metric, value in rows["partner_activity"]:
        published[partner][metric] = value
    capacity: dict[str, str] = dict(rows["capacity"])
    return [
        {
            "partner": partner,
            "events": counts["events"],
            "requests_accepted": counts.get("accepted", 0),
            "requests_fulfilled": counts.get("fulfilled_by", 0),
            "capacity_status": capacity.get(partner),
        }
        for partner, counts in sorted(published.items())
        if counts.get("events", 0) > 0
    ]
