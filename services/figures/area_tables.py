"""Figures by area for the exports: where requests are open and volunteers are free.

The sitrep has no area; the volunteers dashboard's supply-and-demand query has, from the
figures tables. The export runs that same SQL, its Grafana macros expanded for T, so a
spreadsheet and the dashboard never disagree.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import psycopg

from dashboards.macros import expand
from dashboards.volunteers import SUPPLY_AND_DEMAND
from services.figures.sitrep import Sitrep, rfc3339_utc
from services.figures.sitrep_tables import AT, INCIDENT, Column, Table

AREAS = (
    INCIDENT,
    AT,
    Column("area", "#adm2+code"),
    Column("available_volunteers", "#capacity+num+volunteers_available"),
    Column("open_requests", "#inneed+hh"),
)


def area_tables(conn: psycopg.Connection[Any], report: Sitrep, run: str) -> list[Table]:
    sql = expand(
        SUPPLY_AND_DEMAND,
        report.at - timedelta(days=1),
        report.at,
        {"run": run, "incident": report.incident},
    )
    rows = conn.execute(sql).fetchall()
    conn.rollback()
    when = rfc3339_utc(report.at)
    return [Table("areas", AREAS, [(report.incident, when, *row) for row in rows])]
