"""The sitrep's figures by area as a table for spreadsheets and GIS tools, with where each area
is: its code and name as HXL's admin level 2, its centre as `#geo+lat` / `#geo+lon`.

The centres are reference data, not figures, so they are read here rather than carried in the
sitrep; `unknown` has none.
"""

from __future__ import annotations

from typing import Any

import psycopg

from services.figures.sitrep import Sitrep, rfc3339_utc
from services.figures.sitrep_tables import AT, INCIDENT, Column, Table

CENTRES = "SELECT code, latitude, longitude FROM current_areas"

AREAS = (
    INCIDENT,
    AT,
    Column("area", "#adm2+code"),
    Column("name", "#adm2+name"),
    Column("latitude", "#geo+lat"),
    Column("longitude", "#geo+lon"),
    Column("open", "#inneed+hh"),
    Column("urgent_open", "#inneed+hh+urgent"),
    Column("unmet_urgent_over_4h", "#inneed+hh+urgent+unmet"),
    Column("volunteers_registered", "#capacity+num+volunteers_registered"),
    Column("volunteers_available", "#capacity+num+volunteers_available"),
    Column("deployments_window", "#output+num+deployments+last_24_hours"),
    Column("minutes_window", "#output+num+volunteer_minutes+last_24_hours"),
    Column("hubs", "#loc+code+list"),
    Column("lowest_days_of_cover", "#indicator+num+days_of_cover+lowest"),
)


Centres = dict[str, tuple[float, float]]


def area_tables(conn: psycopg.Connection[Any], report: Sitrep) -> list[Table]:
    centres = {code: (lat, lon) for code, lat, lon in conn.execute(CENTRES).fetchall()}
    conn.rollback()
    return [areas_table(report, centres)]


def areas_table(report: Sitrep, centres: Centres) -> Table:
    """One row per area of the sitrep, at its centre (`unknown` has none)."""
    when = rfc3339_utc(report.at)
    return Table(
        "areas",
        AREAS,
        [
            (
                report.incident,
                when,
                line.area,
                line.name,
                *centres.get(line.area, (None, None)),
                line.open,
                line.urgent_open,
                line.unmet_urgent_over_4h,
                line.volunteers_registered,
                line.volunteers_available,
                line.deployments_window,
                line.minutes_window,
                " ".join(line.hubs),
                line.lowest_days_of_cover,
            )
            for line in report.areas
        ],
    )
