"""What the situation board at `/` shows, read in one go: the incidents with their sitreps at T,
the exercise runs and their clocks, and the partners with when each last published.

Every figure is the sitrep's own (services/figures/sitrep.py), never worked out here, so the
board, `GET /v1/incidents/{id}/sitrep`, `tandem sitrep` and the dashboards agree.

Each incident's latest sitrep edition is shown as issued, with what changed most since the one
before (services/figures/changes.py), whatever T the board shows.

T when none is asked for is `default_at`'s (services/figures/incidents.py), per incident.
The map needs the loaded areas and the hubs' places at T (services/maps/places.py); with no
area loaded there is no map.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg

from services.exercises.runs import RunStatus, statuses
from services.figures.area_map import HubPlace
from services.figures.editions import Edition, latest_editions
from services.figures.incidents import Basis, Incident, UnknownIncident, default_at, incidents
from services.figures.partners import PartnerLine, partner_lines
from services.figures.sitrep import Sitrep, sitrep
from services.maps.places import LoadedAreas, hubs_at, loaded_areas

Conn = psycopg.Connection[Any]


@dataclass(frozen=True)
class IncidentBoard:
    incident: Incident
    basis: Basis
    """Why T is what it is: asked for (`?at=`), now (live), or the latest event (past)."""
    report: Sitrep
    hubs: list[HubPlace]
    """Where each hub is at T, with its lowest days of cover: the map's markers."""
    edition: Edition | None
    """Its latest sitrep edition, whatever T the board shows; None before the first."""


@dataclass(frozen=True)
class Board:
    now: datetime
    asked_at: datetime | None
    incidents: list[IncidentBoard]
    runs: list[RunStatus]
    partners: list[PartnerLine]
    areas: LoadedAreas | None
    """None while no area is loaded: the board then has no map, and says how to load one."""


def gather(conn: Conn, at: datetime | None = None, only: str | None = None) -> Board:
    """The board at `at` (default: per incident, as `default_at` says), for every incident or
    `only` the one named; UnknownIncident when it has no event."""
    row = conn.execute("SELECT clock_timestamp()").fetchone()
    assert row is not None
    now: datetime = row[0]
    known = incidents(conn)
    shown = [i for i in known if only is None or i.incident == only]
    if only is not None and not shown:
        raise UnknownIncident(only, [i.incident for i in known])
    editions = latest_editions(conn)
    boards = []
    for incident in shown:
        t, basis = default_at(incident, now)
        if at is not None:
            t, basis = at, "asked"
        report = sitrep(conn, incident.incident, t)
        places = hubs_at(conn, incident.incident, t)
        edition = editions.get(incident.incident)
        boards.append(IncidentBoard(incident, basis, report, places, edition))
    partners = partner_lines(conn, [i.incident for i in known])
    runs = [run for run in statuses(conn) if only is None or run.incident == only]
    areas = loaded_areas(conn)
    conn.commit()
    return Board(now, at, boards, runs, partners, areas)
