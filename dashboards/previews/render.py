"""PNG previews of the dashboards, drawn from their own panel queries on the demo incident.

    python -m dashboards.previews.render --out dashboards/previews/

Uses DATABASE_URL when set (the demo incident must be loaded there); otherwise starts an
embedded PostgreSQL, loads `kingston-2020` through the aggregator's writer, and stops it after.
Each panel's SQL goes through the same macro expansion as in the tests, for the incident's whole
time range, and is drawn where its grid position puts it. A map's base layer is the body the
gateway serves at `/v1/areas.geojson`: the demo's own illustrative wards, loaded as `tandem up`
loads them.
"""

from __future__ import annotations

import argparse
import math
import tempfile
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates
import matplotlib.pyplot as plt
import orjson
import psycopg
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Polygon, Rectangle

from dashboards import exercise
from dashboards.area_map import URGENT
from dashboards.catalogue import dashboards_json
from dashboards.macros import expand
from services.maps.places import loaded_areas, reference_geojson

SCENARIO = "kingston-2020"
BACKGROUND, PANEL, TEXT, MUTED, GRID = "#111217", "#181b1f", "#ccccdc", "#8e8e9a", "#2c3235"
COLOURS = {
    "green": "#73BF69",
    "red": "#F2495C",
    "orange": "#FF9830",
    "blue": "#5794F2",
    "purple": "#B877D9",
    "yellow": "#FADE2A",
    "transparent": PANEL,
}
SERIES = ["#73BF69", "#F2CC0C", "#8AB8FF", "#FF780A", "#F2495C", "#5794F2", "#B877D9", "#FADE2A"]
COLUMN_INCHES, ROW_INCHES = 0.85, 0.36

Rows = list[tuple[Any, ...]]
# matplotlib.dates is untyped: its converters and formatters are used through `Any`.
mdates: Any = matplotlib.dates


EXERCISE_RUN = "drill-1"
EXERCISE_SPAN = timedelta(days=21)
EXERCISE_INJECTS = Path(__file__).parents[2] / "examples" / "exercise" / "kingston-injects.yaml"


def colour(name: str) -> str:
    return COLOURS.get(name, name)


def plain(value: Any) -> Any:
    return float(value) if isinstance(value, Decimal) else value


def formatted(value: Any, unit: str, decimals: int | None = None) -> str:
    if value is None:
        return "–"
    if unit == "dateTimeAsIso":
        return datetime.fromtimestamp(float(value) / 1000, UTC).strftime("%Y-%m-%d %H:%M")
    number = float(value)
    places = decimals if decimals is not None else (0 if number.is_integer() else 1)
    text = f"{number:,.{places}f}"
    suffix = {"h": " h", "m": " min", "percent": "%", "suffix: days": " days"}.get(unit, "")
    return text + suffix


def threshold_colour(panel: dict[str, Any], value: Any) -> str:
    steps = panel["fieldConfig"]["defaults"].get("thresholds", {}).get("steps", [])
    chosen = steps[0]["color"] if steps else "blue"
    for step in steps[1:]:
        if value is not None and float(value) >= step["value"]:
            chosen = step["color"]
    return colour(chosen)


def mapped_colours(panel: dict[str, Any]) -> dict[str, str]:
    found: dict[str, str] = {}
    for mapping in panel["fieldConfig"]["defaults"].get("mappings", []):
        for key, result in mapping.get("options", {}).items():
            found[key] = colour(result.get("color", "blue"))
            found[result.get("text", key)] = colour(result.get("color", "blue"))
    return found


def style(axes: Axes, title: str) -> None:
    axes.set_facecolor(PANEL)
    axes.set_title(title, loc="left", color=TEXT, fontsize=9, pad=4)
    axes.tick_params(colors=MUTED, labelsize=7)
    for spine in axes.spines.values():
        spine.set_color(GRID)


def draw_stat(axes: Axes, panel: dict[str, Any], rows: Rows) -> None:
    value = rows[0][0] if rows else None
    defaults = panel["fieldConfig"]["defaults"]
    fill = threshold_colour(panel, value)
    background = panel["options"].get("colorMode") == "background"
    axes.set_facecolor(fill if background else PANEL)
    axes.set_xticks([])
    axes.set_yticks([])
    axes.text(
        0.04,
        0.86,
        panel["title"],
        color="white" if background else TEXT,
        fontsize=8,
        transform=axes.transAxes,
        va="top",
    )
    text = formatted(value, defaults.get("unit", "short"), defaults.get("decimals"))
    axes.text(
        0.5,
        0.4,
        text,
        color="white" if background else fill,
        fontsize=20 if len(text) < 10 else 12,
        weight="bold",
        ha="center",
        va="center",
        transform=axes.transAxes,
    )


def series_of(columns: list[str], rows: Rows) -> dict[str, tuple[list[datetime], list[float]]]:
    """Wide (time, a, b…) or long (time, metric, value) rows as named series."""
    found: dict[str, tuple[list[datetime], list[float]]] = defaultdict(lambda: ([], []))
    for row in rows:
        at = row[0] if isinstance(row[0], datetime) else datetime.fromtimestamp(float(row[0]), UTC)
        if columns[1:] == ["metric", "value"]:
            found[row[1]][0].append(at)
            found[row[1]][1].append(float(row[2] or 0))
        else:
            for name, value in zip(columns[1:], row[1:], strict=True):
                found[name][0].append(at)
                found[name][1].append(float(value or 0))
    return found


def draw_time_series(axes: Axes, panel: dict[str, Any], columns: list[str], rows: Rows) -> None:
    style(axes, panel["title"])
    custom = panel["fieldConfig"]["defaults"].get("custom", {})
    bars = custom.get("drawStyle") == "bars"
    stacked = custom.get("stacking", {}).get("mode") == "normal"
    found = series_of(columns, rows)
    bottoms: dict[datetime, float] = defaultdict(float)
    for index, (name, (moments, values)) in enumerate(found.items()):
        shade = SERIES[index % len(SERIES)]
        times: Any = moments
        if bars:
            base = [bottoms[t] for t in times] if stacked else None
            width = (times[1] - times[0]).total_seconds() / 86400 * 0.8 if len(times) > 1 else 0.5
            axes.bar(times, values, width=width, bottom=base, color=shade, label=name)
            if stacked:
                for t, v in zip(times, values, strict=True):
                    bottoms[t] += v
        elif stacked:
            base = [bottoms[t] for t in times]
            tops = [b + v for b, v in zip(base, values, strict=True)]
            axes.fill_between(times, base, tops, color=shade, alpha=0.5, label=name, linewidth=0)
            for t, top in zip(times, tops, strict=True):
                bottoms[t] = top
        else:
            axes.plot(times, values, color=shade, linewidth=1, label=name)
    axes.xaxis.set_major_formatter(mdates.DateFormatter("%d %b"))
    axes.grid(color=GRID, linewidth=0.5)
    if found:
        axes.legend(fontsize=6, facecolor=PANEL, edgecolor=GRID, labelcolor=TEXT, loc="upper left")


def draw_bar_gauge(axes: Axes, panel: dict[str, Any], rows: Rows) -> None:
    style(axes, panel["title"])
    defaults = panel["fieldConfig"]["defaults"]
    names = [str(row[0]) for row in rows][::-1]
    values = [float(row[1] or 0) for row in rows][::-1]
    axes.barh(names, values, color=[threshold_colour(panel, v) for v in values], height=0.7)
    for y, value in enumerate(values):
        axes.text(
            value,
            y,
            " " + formatted(value, defaults.get("unit", "short"), defaults.get("decimals")),
            color=TEXT,
            fontsize=6,
            va="center",
        )
    axes.tick_params(axis="y", labelsize=6 if len(names) > 12 else 7)
    axes.set_xlim(0, max(values, default=1) * 1.25 or 1)
    axes.grid(axis="x", color=GRID, linewidth=0.5)


def draw_bar_chart(axes: Axes, panel: dict[str, Any], columns: list[str], rows: Rows) -> None:
    style(axes, panel["title"])
    stacked = panel["options"].get("stacking") == "normal"
    labels = [str(row[0]) for row in rows]
    count = len(columns) - 1
    width = 0.8 if stacked else 0.8 / count
    bottoms = [0.0] * len(rows)
    for index, name in enumerate(columns[1:]):
        values = [float(row[index + 1] or 0) for row in rows]
        positions = [
            i + (0 if stacked else (index - (count - 1) / 2) * width) for i in range(len(rows))
        ]
        axes.bar(
            positions,
            values,
            width=width,
            bottom=bottoms if stacked else None,
            color=SERIES[index % len(SERIES)],
            label=name,
        )
        if stacked:
            bottoms = [b + v for b, v in zip(bottoms, values, strict=True)]
    axes.set_xticks(range(len(labels)), labels, rotation=35, ha="right", fontsize=6)
    axes.grid(axis="y", color=GRID, linewidth=0.5)
    axes.legend(fontsize=6, facecolor=PANEL, edgecolor=GRID, labelcolor=TEXT)


def draw_table(axes: Axes, panel: dict[str, Any], columns: list[str], rows: Rows) -> None:
    style(axes, panel["title"])
    axes.set_xticks([])
    axes.set_yticks([])
    shades = mapped_colours(panel)
    if not rows:
        axes.text(0.5, 0.5, "none", color=MUTED, ha="center", transform=axes.transAxes)
        return
    cells = [
        [
            "–" if v is None else f"{plain(v):,}" if isinstance(plain(v), int | float) else str(v)
            for v in row
        ]
        for row in rows[:16]
    ]
    table = axes.table(cellText=cells, colLabels=columns, loc="upper center", cellLoc="left")
    table.auto_set_font_size(False)
    table.set_fontsize(6.5)
    for (row, _), cell in table.get_celld().items():
        cell.set_edgecolor(GRID)
        text = cell.get_text().get_text()
        cell.set_facecolor(shades.get(text, "#22252b" if row == 0 else PANEL) if row else "#22252b")
        cell.get_text().set_color("white" if text in shades and row else TEXT)
    table.scale(1, 1.15)


def draw_state_timeline(
    axes: Axes, panel: dict[str, Any], columns: list[str], rows: Rows, end: datetime
) -> None:
    style(axes, panel["title"])
    by_number = {}
    for mapping in panel["fieldConfig"]["defaults"].get("mappings", []):
        for key, result in mapping["options"].items():
            by_number[int(key)] = (result["text"], colour(result["color"]))
    found = series_of(columns, rows)
    for lane, (_, (times, values)) in enumerate(sorted(found.items())):
        edges = [*times, end]
        for index, value in enumerate(values):
            start, stop = mdates.date2num(edges[index]), mdates.date2num(edges[index + 1])
            axes.barh(
                lane,
                stop - start,
                left=start,
                height=0.7,
                color=by_number.get(int(value), ("", MUTED))[1],
            )
    axes.set_yticks(range(len(found)), sorted(found), fontsize=7)
    axes.xaxis_date()
    axes.xaxis.set_major_formatter(mdates.DateFormatter("%d %b"))
    handles = [Rectangle((0, 0), 1, 1, color=c) for _, c in by_number.values()]
    axes.legend(
        handles,
        [t for t, _ in by_number.values()],
        fontsize=6,
        facecolor=PANEL,
        edgecolor=GRID,
        labelcolor=TEXT,
        loc="upper left",
        ncols=3,
    )


Frames = dict[str, tuple[list[str], Rows]]


def draw_geomap(axes: Axes, panel: dict[str, Any], frames: Frames, base: dict[str, Any]) -> None:
    """The base layer's polygons, then each markers layer from its query's rows: areas sized by
    their open urgent requests with the number on them, hubs as diamonds; colours by class."""
    style(axes, panel["title"])
    colours = mapped_colours(panel)
    base_style = panel["options"]["basemap"]["config"]["style"]
    latitudes = []
    for feature in base["features"]:
        geometry = feature["geometry"]
        polygons = {"Polygon": [geometry["coordinates"]], "MultiPolygon": geometry["coordinates"]}
        for polygon in polygons.get(geometry["type"], []):
            axes.add_patch(
                Polygon(
                    polygon[0],
                    closed=True,
                    facecolor=base_style["color"]["fixed"],
                    alpha=base_style["opacity"],
                    edgecolor=TEXT,
                    linewidth=base_style["lineWidth"],
                )
            )
            latitudes += [lat for _, lat in polygon[0]]
    for layer in panel["options"]["layers"]:
        columns, rows = frames[layer["filterData"]["options"]]
        named = [dict(zip(columns, row, strict=True)) for row in rows]
        latitudes += [float(row["latitude"]) for row in named]
        config = layer["config"]["style"]
        for row in named:
            x, y = float(row["longitude"]), float(row["latitude"])
            fill = colours.get(row["map class"], MUTED)
            if URGENT in row:
                size = config["size"]
                largest = max((r[URGENT] for r in named), default=0) or 1
                diameter = size["min"] + (size["max"] - size["min"]) * row[URGENT] / largest
                axes.scatter(x, y, s=diameter**2, color=fill, alpha=config["opacity"], zorder=3)
                axes.text(
                    x,
                    y,
                    str(row[URGENT]),
                    color="black",
                    fontsize=6,
                    ha="center",
                    va="center",
                    zorder=4,
                )
            else:
                axes.scatter(x, y, s=60, marker="D", color=fill, edgecolors="white", zorder=5)
    axes.autoscale_view()
    if latitudes:  # equirectangular, as the board draws it
        middle = sum(latitudes) / len(latitudes)
        axes.set_aspect(1 / math.cos(math.radians(middle)), adjustable="datalim")
    axes.set_xticks([])
    axes.set_yticks([])


def render(
    conn: psycopg.Connection[Any],
    model: dict[str, Any],
    incident: str,
    start: datetime,
    end: datetime,
    run: str = "live",
) -> Figure:
    panels = model["panels"]
    rows_high = max(p["gridPos"]["y"] + p["gridPos"]["h"] for p in panels)
    figure = plt.figure(
        figsize=(24 * COLUMN_INCHES, rows_high * ROW_INCHES + 0.8), facecolor=BACKGROUND
    )
    figure.suptitle(
        f"{model['title']}   ·   incident {incident}, run {run}   ·   "
        f"{start:%d %b %Y} – {end:%d %b %Y %H:%M} UTC",
        color=TEXT,
        fontsize=12,
        x=0.01,
        ha="left",
    )
    top = rows_high * ROW_INCHES / (rows_high * ROW_INCHES + 0.8)
    for panel in panels:
        grid = panel["gridPos"]
        pad_x, pad_y = 0.004, 0.045 / max(rows_high / 10, 1)
        left = grid["x"] / 24 + pad_x
        width = grid["w"] / 24 - 2 * pad_x
        height = grid["h"] / rows_high * top
        bottom = top - (grid["y"] + grid["h"]) / rows_high * top
        inner = 0.3 if panel["type"] not in ("stat", "table") else 0.0
        label_x = 0.09 if panel["type"] in ("bargauge", "state-timeline") else 0.02
        axes = figure.add_axes(
            (
                left + label_x * (panel["type"] != "stat"),
                bottom + pad_y + inner * pad_y * 4,
                width - label_x * (panel["type"] != "stat"),
                height - 2 * pad_y - inner * pad_y * 5,
            )
        )
        frames: Frames = {}
        for target in panel["targets"]:
            cursor = conn.execute(
                expand(target["rawSql"], start, end, {"run": run, "incident": incident})
            )
            frames[target["refId"]] = (
                [c.name for c in cursor.description or []],
                cursor.fetchall(),
            )
        columns, rows = frames[panel["targets"][0]["refId"]]
        kind = panel["type"]
        if kind == "geomap":
            base = orjson.loads(reference_geojson(loaded_areas(conn)))
            draw_geomap(axes, panel, frames, base)
        elif kind == "stat":
            draw_stat(axes, panel, rows)
        elif kind == "timeseries":
            draw_time_series(axes, panel, columns, rows)
        elif kind == "bargauge":
            draw_bar_gauge(axes, panel, rows)
        elif kind == "barchart":
            draw_bar_chart(axes, panel, columns, rows)
        elif kind == "state-timeline":
            draw_state_timeline(axes, panel, columns, rows, end)
        else:
            draw_table(axes, panel, columns, rows)
    conn.rollback()
    return figure


@contextmanager
def demo_database() -> Iterator[str]:
    """An embedded PostgreSQL holding the demo incident, for as long as the block runs."""
    from infra.migrate import migrate
    from infra.postgres import EmbeddedPostgres
    from services.figures.writer import apply_batch
    from services.simulate import build
    from services.simulate.demo_stream import load_demo_areas

    with tempfile.TemporaryDirectory(prefix="tandem-preview-") as folder:
        server = EmbeddedPostgres(Path(folder) / "data")
        url = server.start()
        try:
            migrate(url)
            events = build(SCENARIO).events
            with psycopg.connect(url) as conn:
                for first in range(0, len(events), 5000):
                    apply_batch(conn, "live", events[first : first + 5000])
                    conn.commit()
                exercise_run(conn, events)
                load_demo_areas(conn)
                sitrep_editions(conn, str(events[0]["incident"]))
            yield url
        finally:
            server.stop()


EDITIONS = (datetime(2020, 4, 6, 8, tzinfo=UTC), datetime(2020, 4, 6, 16, tzinfo=UTC))
"""The example editions: 09:00 and 17:00 UK time (BST) on a day of the incident, issued on time."""


def sitrep_editions(conn: psycopg.Connection[Any], incident: str) -> None:
    """Two editions of the incident, for the overview's editions panels."""
    from services.figures.editions import issue

    for at in EDITIONS:
        issue(conn, incident, at, "Kingston resilience cell", at)


def exercise_run(conn: psycopg.Connection[Any], events: list[dict[str, Any]]) -> None:
    """The example drill, as the player would have left it: its first three weeks replayed
    with the example injects (events added, a partner silenced), its clock, finished."""
    from services.exercises import runs
    from services.exercises.injects import Outages, added_events, load_injects
    from services.figures.writer import apply_batch

    incident = str(events[0]["incident"])
    start = datetime.fromisoformat(str(events[0]["time"]))
    run = runs.Run(EXERCISE_RUN, incident, start, start + EXERCISE_SPAN, start - start)
    injects = load_injects(EXERCISE_INJECTS, incident)
    runs.create_run(conn, run, 3600.0, injects)
    outages = Outages()
    for inject in injects:
        outages.add(inject.at, inject.effect)
        apply_batch(conn, run.run, added_events(inject.id, inject.effect, incident, inject.at))
        runs.mark_fired(conn, run.run, inject.id)
    replayed = [
        e
        for e in events
        if (at := datetime.fromisoformat(str(e["time"]))) <= run.scenario_to
        and not outages.silences(str(e["partner"]), at)
    ]
    apply_batch(conn, run.run, replayed)
    conn.execute(
        "UPDATE exercise_runs SET reached = %s, events_sent = %s WHERE run = %s",
        (replayed[-1]["time"], len(replayed), run.run),
    )
    runs.finish(conn, run.run, run.scenario_to)
    conn.commit()


def write_previews(url: str, out: Path) -> list[Path]:
    from services.simulate import build

    events = build(SCENARIO).events
    incident = str(events[0]["incident"])
    start = datetime.fromisoformat(str(events[0]["time"])).astimezone(UTC)
    end = datetime.fromisoformat(str(events[-1]["time"])).astimezone(UTC)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    with psycopg.connect(url) as conn:
        for model in dashboards_json():
            if model["uid"] == exercise.UID:  # the drill, over its three weeks
                figure = render(conn, model, incident, start, start + EXERCISE_SPAN, EXERCISE_RUN)
            else:
                figure = render(conn, model, incident, start, end)
            path = out / f"{model['uid']}.png"
            figure.savefig(path, dpi=80, facecolor=BACKGROUND)
            plt.close(figure)
            written.append(path)
    return written


def main() -> None:
    from services.settings import Settings

    parser = argparse.ArgumentParser(prog="python -m dashboards.previews.render")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "previews")
    args = parser.parse_args()
    url = Settings().database_url
    if url:
        written = write_previews(url, args.out)
    else:
        with demo_database() as demo_url:
            written = write_previews(demo_url, args.out)
    for path in written:
        print(path)


if __name__ == "__main__":
    main()
