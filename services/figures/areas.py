"""Figures by area (docs/figures.md, "Areas"): where requests are open and unmet, where
volunteers are free, where hubs run short.

An event's `area` is resolved in SQL, once per distinct value, through `current_area_codes`
(the latest loaded area codes and their aliases); a value that names no loaded area counts under
`unknown`. The resolution is read at query time, so loading areas, or an alias, re-attributes
every figure at once without recounting an event.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from schemas.lifecycle import ACCEPTED, STEP
from services.figures.model import Figures, Rows

UNKNOWN = "unknown"
UNKNOWN_NAME = "Unknown area"

# `LEFT JOIN` this on a value column, then select `AREA` for the area it names.
RESOLVE = "LEFT JOIN current_area_codes codes ON codes.value = {value}"
AREA = f"coalesce(codes.code, '{UNKNOWN}')"


class AreaLine(Figures):
    area: str
    name: str
    open: int
    urgent_open: int
    unmet_urgent_over_4h: int
    volunteers_registered: int
    volunteers_available: int
    deployments_window: int
    minutes_window: int
    hubs: list[str]
    lowest_days_of_cover: float | None


AREA_NAMES = """
SELECT code, name FROM current_areas
"""

# Open requests at T by the GiST index, grouped by the raw value before it is resolved. Unmet:
# urgent, raised at or before T-4h, and no `accepted` event by T (one probe per such request).
AREA_REQUESTS = f"""
SELECT {AREA}, sum(open)::bigint, sum(urgent_open)::bigint, sum(unmet)::bigint
FROM (
    SELECT t.area, count(*) AS open,
           count(*) FILTER (WHERE t.priority = 'urgent') AS urgent_open,
           count(*) FILTER (
               WHERE t.priority = 'urgent' AND t.raised_at <= %(urgent_cutoff)s
                 AND NOT EXISTS (
                     SELECT FROM request_events accepted
                     WHERE accepted.run = t.run AND accepted.incident = t.incident
                       AND accepted.request_id = t.request_id
                       AND accepted.step = {STEP[ACCEPTED]} AND accepted.time <= %(at)s)
           ) AS unmet
    FROM request_timeline t
    WHERE t.run = %(run)s AND t.incident = %(incident)s
      AND t.open AND t.during @> (SELECT %(at)s::timestamptz)
    GROUP BY t.area
) AS by_value
{RESOLVE.format(value="by_value.area")}
GROUP BY 1
"""

# Registered at T, each volunteer counted once per area it serves (two aliases of one area are
# one area).
AREA_VOLUNTEERS = f"""
SELECT {AREA}, count(DISTINCT serving.volunteer_id),
       count(DISTINCT serving.volunteer_id) FILTER (WHERE serving.available)
FROM (
    SELECT v.volunteer_id, v.available, served.value
    FROM volunteer_timeline v CROSS JOIN LATERAL unnest(v.areas) AS served (value)
    WHERE v.run = %(run)s AND v.incident = %(incident)s
      AND v.registered AND v.during @> (SELECT %(at)s::timestamptz)
) AS serving
{RESOLVE.format(value="serving.value")}
GROUP BY 1
"""

# Deployments whose `deployed` event is in the window, by that event's area; minutes of the
# check-outs in the window, by the area of the deployment's latest `deployed` event by T
# (`unknown` when there is none).
AREA_DEPLOYMENTS = f"""
SELECT {AREA}, count(DISTINCT in_window.deployment_id), coalesce(sum(in_window.minutes), 0)
FROM (
    SELECT area AS value, deployment_id, NULL::int AS minutes FROM deployment_events
    WHERE run = %(run)s AND incident = %(incident)s AND kind = 'deployed'
      AND time > %(window_start)s AND time <= %(at)s
    UNION ALL
    SELECT deployed.area, NULL, checked_out.minutes
    FROM deployment_events checked_out
    LEFT JOIN LATERAL (
        SELECT area FROM deployment_events d
        WHERE d.run = checked_out.run AND d.incident = checked_out.incident
          AND d.deployment_id = checked_out.deployment_id AND d.kind = 'deployed'
          AND d.time <= %(at)s
        ORDER BY d.time DESC, d.id COLLATE "C" DESC, d.source COLLATE "C" DESC LIMIT 1
    ) AS deployed ON true
    WHERE checked_out.run = %(run)s AND checked_out.incident = %(incident)s
      AND checked_out.kind = 'checked_out'
      AND checked_out.time > %(window_start)s AND checked_out.time <= %(at)s
) AS in_window
{RESOLVE.format(value="in_window.value")}
GROUP BY 1
"""

SECTIONS = {
    "area_names": AREA_NAMES,
    "area_requests": AREA_REQUESTS,
    "area_volunteers": AREA_VOLUNTEERS,
    "area_deployments": AREA_DEPLOYMENTS,
}


def area_lines(rows: Rows) -> list[dict[str, Any]]:
    """Every loaded area, and `unknown` when anything counts there, sorted by code.

    Hubs come from the `hubs` section (their latest status, area resolved) and their cover from
    the `stock` section, so an area's hubs and days of cover are the sitrep's own.
    """
    names: dict[str, str] = dict(rows["area_names"])
    figures: dict[str, dict[str, Any]] = defaultdict(dict)
    for area, open_, urgent_open, unmet in rows["area_requests"]:
        figures[area] |= {"open": open_, "urgent_open": urgent_open, "unmet_urgent_over_4h": unmet}
    for area, registered, available in rows["area_volunteers"]:
        figures[area] |= {"volunteers_registered": registered, "volunteers_available": available}
    for area, deployments, minutes in rows["area_deployments"]:
        figures[area] |= {"deployments_window": deployments, "minutes_window": minutes}
    cover: dict[str, list[float]] = defaultdict(list)
    for hub_id, _item, _level, _distributed, days_of_cover in rows["stock"]:
        if days_of_cover is not None:
            cover[hub_id].append(float(days_of_cover))
    hubs: dict[str, list[str]] = defaultdict(list)
    for hub_id, _status, _parcels, area, *_place in rows["hubs"]:
        hubs[area].append(hub_id)
        figures.setdefault(area, {})  # a hub alone puts its area on the list
    for area in names:
        figures.setdefault(area, {})
    lines = [
        {
            "area": area,
            "name": names.get(area, UNKNOWN_NAME),
            "open": 0,
            "urgent_open": 0,
            "unmet_urgent_over_4h": 0,
            "volunteers_registered": 0,
            "volunteers_available": 0,
            "deployments_window": 0,
            "minutes_window": 0,
            **counts,
            "hubs": sorted(hubs[area]),
            "lowest_days_of_cover": min(
                (days for hub in hubs[area] for days in cover[hub]), default=None
            ),
        }
        for area, counts in sorted(figures.items())
    ]
    return [line for line in lines if line["area"] in names or counts_something(line)]


def counts_something(line: dict[str, Any]) -> bool:
    return bool(line["hubs"]) or any(isinstance(value, int) and value for value in line.values())


def subquery(sql: str, name: str) -> str:
    """`(<sql>) AS <name>`, indented, to select from one statement in another."""
    body = "\n".join("    " + line for line in sql.strip().splitlines())
    return f"(\n{body}\n) AS {name}"


# Volunteer supply against demand: available volunteers and open requests by area, the busiest
# first (the volunteers dashboard's table).
SUPPLY_AND_DEMAND = f"""
SELECT area, coalesce(supply.available, 0) AS "available volunteers",
       coalesce(demand.open, 0) AS "open requests"
FROM {subquery(AREA_VOLUNTEERS, "supply (area, registered, available)")}
FULL JOIN {subquery(AREA_REQUESTS, "demand (area, open, urgent_open, unmet)")} USING (area)
ORDER BY "open requests" DESC, "available volunteers" DESC, area
""".strip()
