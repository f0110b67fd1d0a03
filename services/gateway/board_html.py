"""The situation board as one self-contained HTML page: inline style, no external file, one tiny
inline script that reloads it every 30 seconds (with a button to pause that, WCAG 2.2.2), large
type and high contrast for a projector. Every value is escaped here, where the page is built.

Each figure's cell carries `data-figure`, the figure's path in the sitrep (`requests.open`,
`stock.HUB.ITEM.level`), so the page can be checked against the sitrep it was built from.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from html import escape

from schemas.thresholds import AGEING, STOCK_WINDOW, URGENT_WAIT, WINDOW, in_days, in_hours
from services.exercises.runs import RunStatus
from services.figures.changes import largest, sentence
from services.figures.editions import Edition
from services.figures.incidents import WHY, when_text
from services.figures.partners import PartnerLine
from services.figures.sitrep import Sitrep, rfc3339_utc
from services.gateway.board import Board, IncidentBoard
from services.maps.classes import count_class, cover_class
from services.maps.places import LoadedAreas
from services.maps.svg import MapArea, area_map, legend

REFRESH_SECONDS = 30
NONE = "—"

STYLE = """
:root{font-size:20px}
body{font-family:system-ui,sans-serif;margin:0;color:#111;background:#fff;line-height:1.4}
header{background:#0b2e59;color:#fff;padding:.8rem 1.5rem}
header h1{margin:0;font-size:2rem}header p{margin:.3rem 0}
main,footer{padding:0 1.5rem 1rem}
h2{font-size:1.6rem;border-bottom:3px solid #0b2e59;margin:1.5rem 0 .5rem}
h3{font-size:1.2rem;margin:1rem 0 .3rem}
.as-of{font-size:1.2rem;font-weight:600}
.tiles{display:flex;flex-wrap:wrap;gap:.6rem;margin:.5rem 0;padding:0}
.tiles div{border:2px solid #0b2e59;border-radius:6px;padding:.4rem .8rem;min-width:9rem}
.tiles dt{font-size:.9rem}.tiles dd{margin:0;font-size:2rem;font-weight:700}
.tables{display:flex;flex-wrap:wrap;gap:0 2rem;align-items:flex-start}
table{border-collapse:collapse;margin:.3rem 0 1rem}
caption{text-align:left;font-weight:700;font-size:1.1rem;padding:.2rem 0}
th,td{border:1px solid #555;padding:.2rem .5rem;text-align:left}
th{background:#e8eef6}td.num{text-align:right;font-variant-numeric:tabular-nums}
a{color:#0b4fa3}a:focus,button:focus{outline:3px solid #b35c00;outline-offset:2px}
header a{color:#fff}
button{font-size:1rem;padding:.3rem .8rem;border:2px solid #fff;background:#0b2e59;color:#fff;
border-radius:4px;cursor:pointer}
button[aria-pressed=true]{background:#fff;color:#0b2e59}
.note{color:#333}code{font-size:.95em}
.map{display:flex;flex-wrap:wrap;gap:1rem 2rem;align-items:flex-start;margin:.5rem 0}
.map svg.area-map{max-width:100%;height:auto;border:1px solid #555;background:#fafafa}
.map-legend ul{list-style:none;margin:0 0 .5rem;padding:0}.map-legend p{margin:.2rem 0}
.map-legend li svg{vertical-align:middle}
"""

# Reloads the page (keeping ?at= and ?incident=) unless paused; the button says which, and the
# status line says it to a screen reader.
SCRIPT = f"""
(function () {{
  var timer = null, button = document.getElementById('pause'),
      state = document.getElementById('refresh-state');
  function arm() {{ timer = setTimeout(function () {{ location.reload(); }},
                                       {REFRESH_SECONDS * 1000}); }}
  button.addEventListener('click', function () {{
    var paused = timer !== null;
    if (paused) {{ clearTimeout(timer); timer = null; }} else {{ arm(); }}
    button.setAttribute('aria-pressed', String(paused));
    state.textContent = paused ? 'Refresh paused.'
                               : 'This page refreshes every {REFRESH_SECONDS} seconds.';
  }});
  arm();
}})();
"""

RULE = (
    "Unless a time is asked for with <code>?at=</code> (RFC 3339 or to the minute, with an"
    " offset: <code>?at=2020-04-06T09:00Z</code>), each incident is shown as of now while it is"
    f" live (an event in the last {in_hours(WINDOW)} hours), and otherwise as of its latest"
    " event: a past incident shows its figures as they stood when it went quiet."
    " <code>?incident=ID</code> shows one."
)

GRAFANA = (
    "Grafana stays the dashboard tool: its data source is this PostgreSQL database (the"
    " read-only <code>tandem_figures_reader</code> role), its dashboards are code in the"
    " repository's <code>dashboards/</code> folder, and <code>tandem dashboards push --url URL"
    " --token TOKEN</code> loads them into a running Grafana."
)


def when(at: datetime | None) -> str:
    """`6 April 2020 09:00 UTC` in a <time> element that carries the exact instant."""
    if at is None:
        return NONE
    return f"<time datetime='{rfc3339_utc(at)}'>{when_text(at)}</time>"


def number(value: float | int | None) -> str:
    """Every digit the sitrep has, grouped by thousands; a figure with no value is a dash."""
    return NONE if value is None else f"{value:,}"


def cell(figure: str, value: float | int | str | None) -> str:
    shown = escape(value) if isinstance(value, str) else number(value)
    kind = "" if isinstance(value, str) else " class='num'"
    return f"<td{kind} data-figure='{escape(figure)}'>{shown}</td>"


def table(caption: str, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A table whose cells are already HTML; a table with no rows says so instead."""
    if not rows:
        return f"<p class='note'><b>{escape(caption)}</b>: none.</p>"
    head = "".join(f"<th scope='col'>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(row) + "</tr>" for row in rows)
    return (
        f"<table><caption>{escape(caption)}</caption><thead><tr>{head}</tr></thead>"
        f"<tbody>{body}</tbody></table>"
    )


def header_cell(text: str) -> str:
    return f"<th scope='row'>{escape(text)}</th>"


def counts(caption: str, key: str, figure: str, values: Mapping[str, int]) -> str:
    rows = [
        [header_cell(name), cell(f"{figure}.{name}", values[name])]
        for name in sorted(values, key=lambda n: (-values[n], n))
    ]
    return table(caption, [key, "count"], rows)


TILES: tuple[tuple[str, str], ...] = (
    ("requests.open", "Open requests"),
    ("requests.open_over_72h", f"Open over {in_hours(AGEING)} hours"),
    ("requests.raised_total", "Requests raised"),
    ("requests.fulfilled_window", f"Fulfilled in the last {in_hours(WINDOW)} h"),
    ("requests.median_hours_to_fulfil", "Median hours to fulfil"),
    ("volunteers.registered", "Volunteers registered"),
    ("volunteers.available", "Volunteers available"),
    ("volunteers.deployed_now", "Deployed now"),
    ("volunteers.never_deployed", "Never deployed"),
    ("volunteers.minutes_window", "Volunteer minutes, last 24 h"),
)


def tiles(report: Sitrep) -> str:
    figures = {
        f"{section}.{name}": value
        for section in ("requests", "volunteers")
        for name, value in getattr(report, section).model_dump().items()
    }
    items = "".join(
        f"<div><dt>{escape(label)}</dt><dd data-figure='{figure}'>"
        f"{number(figures[figure])}</dd></div>"
        for figure, label in TILES
    )
    return f"<dl class='tiles'>{items}</dl>"


def as_of(shown: IncidentBoard) -> str:
    return f"<p class='as-of'>As of {when(shown.report.at)}, {WHY[shown.basis]}.</p>"


MOST_CHANGED = 5
"""How many of an edition's changes the board lists: those that changed most."""


def edition_section(name: str, edition: Edition | None) -> str:
    """The incident's latest edition: its number, T, when and by whom it was issued, the figures
    that changed most since the edition before, and what late events did to that one."""
    title = f"<h3 id='incident-{name}-edition'>Latest sitrep edition</h3>"
    if edition is None:
        return title + (
            "<p class='note'>No edition issued yet: <code>tandem sitrep issue --incident"
            f" {name}</code> issues one, <code>tandem sitrep schedule</code> at set times.</p>"
        )
    issued = (
        f"<p data-edition='{edition.number}'>Edition {edition.number}, as at {when(edition.at)},"
        f" issued {when(edition.issued_at)} by {escape(edition.issued_by)}.</p>"
    )
    if edition.previous is None:
        return title + issued + "<p class='note'>The first edition: nothing to compare.</p>"
    paths = largest(edition.changes, MOST_CHANGED)
    items = "".join(
        f"<li data-change='{escape(path)}'>{escape(sentence(path, edition.changes[path]))}</li>"
        for path in paths
    )
    others = len(edition.changes) - len(paths)
    changed = (
        f"<p>What changed most since edition {edition.previous}:</p><ul>{items}</ul>"
        + (f"<p class='note'>And {others} other figures changed.</p>" if others > 0 else "")
        if paths
        else f"<p>Nothing changed since edition {edition.previous}.</p>"
    )
    late = (
        f"<p class='note' data-late='{edition.late.edition}'>Late events:"
        f" {escape(edition.late.words())}.</p>"
        if edition.late
        else ""
    )
    return title + issued + changed + late


URGENT_HOURS = in_hours(URGENT_WAIT)
LOAD_AREAS = (
    "No areas are loaded, so there is no map: load the deployment's areas with"
    " <code>tandem areas load FILE</code> (GeoJSON boundaries, or a CSV of codes, names and"
    " centres)."
)


def map_section(shown: IncidentBoard, areas: LoadedAreas | None) -> str:
    """The incident's map at T: areas shaded by open urgent requests, hubs coloured by their
    lowest days of cover, a legend, where the boundaries come from, and every figure drawn in
    a table too (the areas the map cannot place, such as `unknown`, only there)."""
    title = "<h3>Map: open urgent requests by area, and the hubs</h3>"
    if areas is None:
        return title + f"<p class='note'>{LOAD_AREAS}</p>"
    lines = shown.report.areas
    drawn = [
        MapArea(
            line.area,
            line.name,
            line.urgent_open,
            f"{line.urgent_open:,} open urgent requests, {line.unmet_urgent_over_4h:,} unmet"
            f" over {URGENT_HOURS} hours, {line.open:,} open requests in all",
        )
        for line in lines
    ]
    svg = area_map(
        drawn,
        areas.places,
        shown.hubs,
        f"Map of {len(areas.places)} areas shaded by open urgent requests, and"
        f" {len(shown.hubs)} hubs coloured by their lowest days of cover; every figure is in"
        " the tables below it.",
    )
    area_rows = [
        [
            header_cell(f"{line.name} ({line.area})"),
            cell(f"areas.{line.area}.urgent_open", line.urgent_open),
            f"<td>{escape(count_class(line.urgent_open).label)}</td>",
            cell(f"areas.{line.area}.unmet_urgent_over_4h", line.unmet_urgent_over_4h),
            cell(f"areas.{line.area}.open", line.open),
        ]
        for line in lines
    ]
    hub_rows = [
        [
            header_cell(f"{hub.name} ({hub.hub_id})"),
            f"<td>{escape(hub.area)}</td>",
            cell(f"map.hubs.{hub.hub_id}.lowest_days_of_cover", hub.lowest_days_of_cover),
            f"<td>{escape(cover_class(hub.lowest_days_of_cover).label)}</td>",
            "<td>" + ("on the map" if hub.latitude is not None else "no place known") + "</td>",
        ]
        for hub in shown.hubs
    ]
    loaded = (
        f"<p class='note' data-areas-source>Area boundaries: {escape(areas.source)}"
        f" (version {areas.version}, loaded {when(areas.loaded_at)}).</p>"
    )
    return (
        title
        + f"<div class='map'>{svg}{legend('open urgent requests')}</div>"
        + loaded
        + "<div class='tables'>"
        + table(
            "Open urgent requests by area",
            [
                "area",
                "open urgent",
                "class on the map",
                f"unmet urgent over {URGENT_HOURS} h",
                "open in all",
            ],
            area_rows,
        )
        + table(
            "Hubs on the map",
            ["hub", "area", "lowest days of cover", "colour on the map", "where"],
            hub_rows,
        )
        + "</div>"
    )


def incident_section(shown: IncidentBoard, areas: LoadedAreas | None) -> str:
    report = shown.report
    name = escape(report.incident)
    requests = report.requests
    stock = [
        [
            header_cell(f"{line.hub_id} / {line.item}"),
            cell(f"stock.{line.hub_id}.{line.item}.level", line.level),
            cell(f"stock.{line.hub_id}.{line.item}.distributed_7d", line.distributed_7d),
            cell(f"stock.{line.hub_id}.{line.item}.days_of_cover", line.days_of_cover),
        ]
        for line in report.stock
    ]
    hubs = [
        [
            header_cell(hub.hub_id),
            cell(f"hubs.{hub.hub_id}.status", hub.status),
            cell(f"hubs.{hub.hub_id}.parcels_per_day", hub.parcels_per_day),
        ]
        for hub in report.hubs
    ]
    referrals = [
        [
            header_cell(r.from_partner),
            f"<td>{escape(r.to)}</td>",
            cell(f"referrals.{r.from_partner}.{r.to}", r.count),
        ]
        for r in report.referrals
    ]
    partners = [
        [
            header_cell(p.partner),
            cell(f"partners.{p.partner}.events", p.events),
            cell(f"partners.{p.partner}.requests_accepted", p.requests_accepted),
            cell(f"partners.{p.partner}.requests_fulfilled", p.requests_fulfilled),
            cell(f"partners.{p.partner}.capacity_status", p.capacity_status or NONE),
        ]
        for p in report.partners
    ]
    first, latest = shown.incident.first_event, shown.incident.latest_event
    return (
        f"<section id='incident-{name}' data-incident='{name}'"
        f" aria-labelledby='incident-{name}-title'>"
        f"<h2 id='incident-{name}-title'>Incident {name}</h2>"
        + as_of(shown)
        + f"<p class='note'>Events from {when(first)} to {when(latest)}.</p>"
        + tiles(report)
        + edition_section(name, shown.edition)
        + map_section(shown, areas)
        + "<div class='tables'>"
        + counts("Open requests by need", "need", "requests.open_by_need", requests.open_by_need)
        + counts(
            "Open requests by priority",
            "priority",
            "requests.open_by_priority",
            requests.open_by_priority,
        )
        + counts(
            "Declined requests by reason",
            "reason",
            "requests.declined_by_reason",
            requests.declined_by_reason,
        )
        + table("Referrals", ["from", "to", "count"], referrals)
        + table("Food hubs", ["hub", "status", "parcels per day"], hubs)
        + table(
            "Stock",
            [
                "hub / item",
                "level",
                f"distributed in {in_days(STOCK_WINDOW)} days",
                "days of cover",
            ],
            stock,
        )
        + table(
            "Partners in this incident",
            ["partner", "events", "requests accepted", "requests fulfilled", "capacity"],
            partners,
        )
        + "</div></section>"
    )


def runs_section(runs: Sequence[RunStatus]) -> str:
    rows = [
        [
            header_cell(run.run),
            f"<td>{escape(run.incident)}</td>",
            f"<td>{escape(run.state)}</td>",
            f"<td>{'as fast as possible' if run.speed is None else f'{run.speed:g}×'}</td>",
            f"<td>{when(run.clock)}</td>",
            f"<td>{when(run.clock + timedelta(days=run.shift_days))}</td>",
            f"<td>{when(run.scenario_to)}</td>",
            f"<td class='num'>{number(run.events_sent)}</td>",
        ]
        for run in runs
    ]
    headers = [
        "run",
        "incident",
        "state",
        "speed",
        "scenario clock",
        "run time",
        "scenario ends",
        "events sent",
    ]
    return (
        "<section aria-labelledby='runs-title'><h2 id='runs-title'>Exercise runs</h2>"
        + table("Exercise runs and their clocks", headers, rows)
        + "</section>"
    )


def partners_section(partners: Sequence[PartnerLine]) -> str:
    rows = [
        [
            header_cell(p.partner),
            f"<td>{escape(p.name)}</td>",
            f"<td class='num'>{number(p.events)}</td>",
            f"<td>{when(p.latest_event)}</td>",
        ]
        for p in partners
    ]
    headers = ["partner", "name", "events counted", "latest event"]
    caption = "Partners and when each last published (by event time, in every incident)"
    return (
        "<section aria-labelledby='partners-title'><h2 id='partners-title'>Partners</h2>"
        + table(caption, headers, rows)
        + "</section>"
    )


def page(title: str, body: str, *, refresh: bool) -> str:
    control = (
        "<p><span id='refresh-state' role='status'>This page refreshes every"
        f" {REFRESH_SECONDS} seconds.</span> <button type='button' id='pause'"
        " aria-pressed='false'>Pause refresh</button></p>"
        f"<script>{SCRIPT}</script>"
        if refresh
        else ""
    )
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        # No icon: the browser would ask the gateway for /favicon.ico, a 404 in its console.
        "<link rel='icon' href='data:,'>"
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>"
        f"<header><h1>{escape(title)}</h1>{control}</header>"
        f"<main>{body}</main>"
        "<footer><h2>Where next</h2>"
        "<p>The HTTP API and its contract: <a href='/docs'>/docs</a>"
        " (each incident's sitrep as JSON: <code>/v1/incidents/ID/sitrep</code>).</p>"
        f"<p>{GRAFANA}</p><p>{RULE}</p></footer></body></html>"
    )


def render(board: Board) -> str:
    shown = f"Shown {when(board.now)}."
    incidents = "".join(incident_section(i, board.areas) for i in board.incidents) or (
        "<p class='as-of'>No incident has events yet: publish some (or run the demo).</p>"
    )
    body = (
        f"<p class='note'>{shown}</p>"
        + incidents
        + runs_section(board.runs)
        + partners_section(board.partners)
    )
    return page("Tandem situation board", body, refresh=True)


def problem(title: str, message: str) -> str:
    """A page for a request the board cannot answer (an unknown incident, a bad time)."""
    body = f"<p class='as-of'>{escape(message)}</p><p><a href='/'>The whole board</a></p>"
    return page(title, body, refresh=False)
