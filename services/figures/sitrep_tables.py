"""The sitrep as tables, for spreadsheets, humanitarian tools and open-data portals.

Each list or object of counts in the sitrep becomes one table, and its scalar figures one
headline table (a row per figure, named by its path in docs/figures.md, e.g. `requests.open`).
Every table begins with the incident and T, so that files from several reports can be stacked.

Each column carries its HXL hashtag (hxlstandard.org, core dictionary 1.1): a request is one
household's, so open requests are households in need (`#inneed+hh`) and fulfilled ones
households reached (`#reached+hh`); a hub is a location (`#loc`), a partner an organisation
(`#org`), a kind of need a sector (`#sector`). Attributes outside the core dictionary
(`+stock_level`, `+from` …) say which count a column holds, as HXL allows.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.figures.model import Figures
from services.figures.sitrep import Sitrep, rfc3339_utc

Cell = str | int | float | None


@dataclass(frozen=True)
class Column:
    name: str
    hxl: str


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    rows: list[tuple[Cell, ...]]


INCIDENT = Column("incident", "#crisis+code")
AT = Column("at", "#date+reported")


def sitrep_tables(s: Sitrep) -> list[Table]:
    """Every table of the sitrep, the headline first."""
    r = s.requests

    def table(name: str, columns: tuple[Column, ...], rows: list[tuple[Cell, ...]]) -> Table:
        return Table(
            name, (INCIDENT, AT, *columns), [(s.incident, rfc3339_utc(s.at), *row) for row in rows]
        )

    def counts(values: dict[str, int]) -> list[tuple[Cell, ...]]:
        return sorted(values.items())

    return [
        table(
            "headline",
            (Column("figure", "#indicator+code"), Column("value", "#indicator+value+num")),
            headline(s),
        ),
        table(
            "open_requests_by_need",
            (Column("need", "#sector+code"), Column("open", "#inneed+hh")),
            counts(r.open_by_need),
        ),
        table(
            "open_requests_by_priority",
            (Column("priority", "#severity+code"), Column("open", "#inneed+hh")),
            counts(r.open_by_priority),
        ),
        table(
            "declined_requests_by_reason",
            (Column("reason", "#cause+code"), Column("declined", "#indicator+num+declined")),
            counts(r.declined_by_reason),
        ),
        table(
            "referrals",
            (
                Column("from", "#org+code+from"),
                Column("to", "#org+code+to"),
                Column("count", "#indicator+num+referrals"),
            ),
            [(line.from_partner, line.to, line.count) for line in s.referrals],
        ),
        table(
            "stock",
            (
                Column("hub_id", "#loc+code"),
                Column("item", "#item+code"),
                Column("level", "#indicator+num+stock_level"),
                Column("distributed_7d", "#output+num+distributed+last_7_days"),
                Column("days_of_cover", "#indicator+num+days_of_cover"),
            ),
            [
                (line.hub_id, line.item, line.level, line.distributed_7d, line.days_of_cover)
                for line in s.stock
            ],
        ),
        table(
            "hubs",
            (
                Column("hub_id", "#loc+code"),
                Column("status", "#status+code"),
                Column("parcels_per_day", "#capacity+num+parcels_per_day"),
            ),
            [(line.hub_id, line.status, line.parcels_per_day) for line in s.hubs],
        ),
        table(
            "partners",
            (
                Column("partner", "#org+code"),
                Column("events", "#indicator+num+events_published"),
                Column("requests_accepted", "#indicator+num+requests_accepted"),
                Column("requests_fulfilled", "#reached+hh"),
                Column("capacity_status", "#status+code+capacity"),
            ),
            [
                (
                    line.partner,
                    line.events,
                    line.requests_accepted,
                    line.requests_fulfilled,
                    line.capacity_status,
                )
                for line in s.partners
            ],
        ),
    ]


def headline(s: Sitrep) -> list[tuple[Cell, ...]]:
    """(figure, value) for every scalar figure, named by its path in docs/figures.md."""
    sections: dict[str, Figures] = {"requests": s.requests, "volunteers": s.volunteers}
    return [
        (f"{section}.{name}", value)
        for section, figures in sections.items()
        for name, value in figures.model_dump().items()
        if not isinstance(value, dict)
    ]
