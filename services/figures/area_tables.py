"""Figures by area for the exports: where requests are open and volunteers are free.

The sitrep has no area; the supply-and-demand query has, from the figures tables. The export
runs it for T, and the volunteers dashboard runs the same SQL with its parameters turned into
Grafana's, so a spreadsheet and the dashboard never disagree.
"""

from __future__ import annotations

from typing import Any

import psycopg

from services.figures.sitrep import Sitrep, rfc3339_utc
from services.figures.sitrep_tables import AT, INCIDENT, Column, Table

# Supply: registered, available volunteers by the areas they cover; demand: open requests by
# the area they were raised in. Both at the end of the range, by the GiST indexes.
SUPPLY_AND_DEMAND = """
WITH supply AS (
    SELECT area, count(*) AS volunteers
    FROM volunteer_timeline, unnest(areas) AS area
    WHERE run = %(run)s AND incident = %(incident)s
      AND registered AND available AND during @> (SELECT %(at)s)
    GROUP BY area
), demand AS (
    SELECT area, count(*) AS requests
    FROM request_timeline
    WHERE run = %(run)s AND incident = %(incident)s
      AND open AND during @> (SELECT %(at)s) AND area IS NOT NULL
    GROUP BY area
)
SELECT area,
       coalesce(supply.volunteers, 0) AS "available volunteers",
       coalesce(demand.requests, 0) AS "open requests"
FROM supply FULL JOIN demand USING (area)
ORDER BY "open requests" DESC, "available volunteers" DESC, area
""".strip()

AREAS = (
    INCIDENT,
    AT,
    Column("area", "#adm2+code"),
    Column("available_volunteers", "#capacity+num+volunteers_available"),
    Column("open_requests", "#inneed+hh"),
)


def area_tables(conn: psycopg.Connection[Any], report: Sitrep, run: str) -> list[Table]:
    params = {"run": run, "incident": report.incident, "at": report.at}
    rows = conn.execute(SUPPLY_AND_DEMAND, params).fetchall()
    conn.rollback()
    when = rfc3339_utc(report.at)
    return [Table("areas", AREAS, [(report.incident, when, *row) for row in rows])]
