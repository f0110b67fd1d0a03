"""The exercise debrief as one self-contained HTML page: no scripts, no external files; the
charts are inline SVG, so the report opens anywhere, offline, and prints."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from html import escape

from schemas.thresholds import URGENT_WAIT, in_hours
from services.exercises.debrief import AreasAtEnd, Comparison, Debrief, Figures
from services.figures.areas import AreaLine
from services.figures.referrals import ReferralAnswers
from services.maps.svg import MapArea, area_map, legend

WIDTH, HEIGHT, PAD = 640, 220, 44
RUN_COLOUR, ORIGINAL_COLOUR = "#7b2cbf", "#6c757d"
STYLE = """
body{font-family:system-ui,sans-serif;max-width:980px;margin:2em auto;padding:0 1em;color:#222}
h1{margin-bottom:.2em}h2{border-bottom:2px solid #eee;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;width:100%;margin:.5em 0}
th,td{border:1px solid #ddd;padding:.35em .5em;text-align:left;vertical-align:top}
th{background:#f6f6f6}.num{text-align:right}.muted{color:#666}
.legend span{display:inline-block;margin-right:1.5em}
.swatch{display:inline-block;width:1em;height:.3em;vertical-align:middle;margin-right:.3em}
figure{margin:1em 0}figcaption{font-weight:600}
.maps{display:flex;flex-wrap:wrap;gap:1em;align-items:flex-start}.maps figure{margin:0}
.map-legend ul{list-style:none;margin:0 0 .5em;padding:0}.map-legend li svg{vertical-align:middle}
svg.area-map{border:1px solid #ddd;background:#fafafa}
"""
MAP_WIDTH = 420
URGENT_HOURS = in_hours(URGENT_WAIT)


def render(report: Debrief) -> str:
    run = report.run
    shift = f", shown {run.shift.days} days later" if run.shift.days else ""
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>Debrief: exercise {escape(run.run)}</title><style>{STYLE}</style></head><body>",
        f"<h1>Exercise debrief: {escape(run.run)}</h1>",
        f"<p class='muted'>Replay of incident <b>{escape(run.incident)}</b>, scenario"
        f" {_time(run.scenario_from)} to {_time(report.reached)}{shift}."
        f" {report.events_sent:,} events sent, {report.participant_events:,} published by"
        f" participants. Report made {_time(report.made_at)}.</p>",
        _clock(report),
        _injects(report),
        _charts(report.comparisons),
        _at_end(report.comparisons),
        _areas_at_end(report.areas, report.reached),
        _referrals(report.referrals_run, report.referrals_original),
        _lessons(report.lessons),
        "</body></html>",
    ]
    return "\n".join(parts)


def _time(at: datetime | None) -> str:
    return "—" if at is None else escape(at.strftime("%Y-%m-%d %H:%M:%S UTC"))


def _number(value: float | int | None) -> str:
    if value is None:
        return "—"
    return f"{value:,}" if isinstance(value, int) else f"{value:,.1f}"


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], empty: str) -> str:
    if not rows:
        return f"<p class='muted'>{escape(empty)}</p>"
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _clock(report: Debrief) -> str:
    rows = [
        [
            _time(segment.at),
            escape(segment.control),
            escape(segment.state),
            "max" if segment.speed is None else f"{segment.speed:g}×",
            _time(segment.scenario_time),
        ]
        for segment in report.clock
    ]
    headers = ["exercise time", "control", "state", "speed", "scenario time"]
    return "<h2>Exercise clock</h2>" + _table(headers, rows, "No clock.")


def _injects(report: Debrief) -> str:
    rows = []
    for inject in report.injects:
        actions = "".join(
            f"<li>{escape(a.type.removeprefix('resilience.'))} {escape(a.event_id)}:"
            f" {a.minutes_after:,.1f} min after</li>"
            for a in inject.actions
        )
        more = inject.actions_total - len(inject.actions)
        if more > 0:
            actions += f"<li class='muted'>and {more} more</li>"
        followed = f"<ul>{actions}</ul>" if actions else "<span class='muted'>none</span>"
        rows.append(
            [
                escape(inject.inject_id)
                + (" <span class='muted'>(ad hoc)</span>" if inject.ad_hoc else ""),
                _time(inject.scenario_time),
                escape(inject.status),
                _time(inject.fired_at),
                escape(inject.synopsis),
                escape(inject.target or "—"),
                escape(inject.expected_action or "—"),
                followed,
            ]
        )
    headers = [
        "inject",
        "scenario time",
        "status",
        "fired",
        "synopsis",
        "for",
        "expected action",
        "what the partner did",
    ]
    return "<h2>Injects and the actions that followed</h2>" + _table(headers, rows, "No injects.")


CHARTS: tuple[tuple[str, str, Callable[[Figures], float | int | None]], ...] = (
    ("backlog", "Open-request backlog", lambda f: f.open_requests),
    ("cover", "Lowest days of cover (any hub and item)", lambda f: f.lowest_days_of_cover),
    (
        "utilisation",
        "Volunteer utilisation (% of registered ever deployed)",
        lambda f: f.utilisation_percent,
    ),
)


def _charts(comparisons: Sequence[Comparison]) -> str:
    legend = (
        "<p class='legend'>"
        f"<span><i class='swatch' style='background:{RUN_COLOUR}'></i>this run</span>"
        f"<span><i class='swatch' style='background:{ORIGINAL_COLOUR}'></i>the original</span>"
        "</p>"
    )
    times = [c.scenario_time for c in comparisons]
    charts = []
    for key, title, value in CHARTS:
        run = [value(c.run) for c in comparisons]
        original = [value(c.original) for c in comparisons]
        label = (
            f"{title}, scenario time {_time(times[0]) if times else '—'} to"
            f" {_time(times[-1]) if times else '—'}: {_trend('this run', run)};"
            f" {_trend('the original', original)}. Every value is in the table below the chart."
        )
        charts.append(
            f"<figure id='chart-{key}'><figcaption>{escape(title)}</figcaption>"
            + line_chart(times, {RUN_COLOUR: run, ORIGINAL_COLOUR: original}, label)
            + _chart_table(title, times, run, original)
            + "</figure>"
        )
    return (
        "<h2>The run against the original, at the same scenario times</h2>"
        + legend
        + "".join(charts)
    )


def _trend(side: str, values: Sequence[float | int | None]) -> str:
    """A line in words, for those who cannot see it: where it starts, ends, peaks and dips."""
    known = [v for v in values if v is not None]
    if not known:
        return f"{side} has no value"
    return (
        f"{side} from {_number(known[0])} to {_number(known[-1])}"
        f" (lowest {_number(min(known))}, highest {_number(max(known))})"
    )


def _chart_table(
    title: str,
    times: Sequence[datetime],
    run: Sequence[float | int | None],
    original: Sequence[float | int | None],
) -> str:
    """The chart's values as a table: its text alternative in full, folded away until asked."""
    rows = [
        [_time(at), _number(mine), _number(theirs)]
        for at, mine, theirs in zip(times, run, original, strict=True)
    ]
    return (
        f"<details><summary>{escape(title)}: the values</summary>"
        + _table(["scenario time", "this run", "the original"], rows, "No values.")
        + "</details>"
    )


def line_chart(
    times: Sequence[datetime], series: dict[str, list[float | int | None]], label: str
) -> str:
    """An SVG line chart: one polyline per colour; gaps where a value is missing. `label` is
    its text alternative (WCAG 1.1.1), for the image role and its title."""
    values = [v for line in series.values() for v in line if v is not None]
    top = max(values, default=0) or 1
    step = (WIDTH - 2 * PAD) / max(len(times) - 1, 1)

    def point(n: int, v: float) -> str:
        return f"{PAD + n * step:.1f},{HEIGHT - PAD - v / top * (HEIGHT - 2 * PAD):.1f}"

    lines = []
    for colour, line in series.items():
        points = " ".join(point(n, v) for n, v in enumerate(line) if v is not None)
        lines.append(
            f"<polyline fill='none' stroke='{colour}' stroke-width='2' points='{points}'/>"
        )
    axis = (
        f"<line x1='{PAD}' y1='{HEIGHT - PAD}' x2='{WIDTH - PAD}' y2='{HEIGHT - PAD}'"
        " stroke='#999'/>"
        f"<line x1='{PAD}' y1='{PAD}' x2='{PAD}' y2='{HEIGHT - PAD}' stroke='#999'/>"
        f"<text x='{PAD - 6}' y='{PAD + 4}' text-anchor='end' font-size='11'>{_number(top)}</text>"
        f"<text x='{PAD - 6}' y='{HEIGHT - PAD + 4}' text-anchor='end' font-size='11'>0</text>"
    )
    if times:
        axis += (
            f"<text x='{PAD}' y='{HEIGHT - PAD + 18}' font-size='11'>{_time(times[0])}</text>"
            f"<text x='{WIDTH - PAD}' y='{HEIGHT - PAD + 18}' text-anchor='end' font-size='11'>"
            f"{_time(times[-1])}</text>"
        )
    return (
        f"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 {WIDTH} {HEIGHT}' width='{WIDTH}'"
        f" height='{HEIGHT}' role='img' aria-label='{escape(label)}'>"
        f"<title>{escape(label)}</title>{axis}{''.join(lines)}</svg>"
    )


def _at_end(comparisons: Sequence[Comparison]) -> str:
    if not comparisons:
        return ""
    end = comparisons[-1]
    rows = [
        [
            "Unmet urgent requests (open)",
            _number(end.run.urgent_open),
            _number(end.original.urgent_open),
        ],
        ["Open requests", _number(end.run.open_requests), _number(end.original.open_requests)],
        [
            "Lowest days of cover",
            _number(end.run.lowest_days_of_cover),
            _number(end.original.lowest_days_of_cover),
        ],
        [
            "Volunteer utilisation %",
            _number(end.run.utilisation_percent),
            _number(end.original.utilisation_percent),
        ],
    ]
    stock_outs = [
        [
            escape(f"{hub} / {item}"),
            _time(first_seen(comparisons, hub, item, run=True)),
            _time(first_seen(comparisons, hub, item, run=False)),
        ]
        for hub, item in sorted(
            {s for c in comparisons for s in (*c.run.stock_outs, *c.original.stock_outs)}
        )
    ]
    return (
        f"<h2>At the end ({_time(end.scenario_time)} scenario time)</h2>"
        + _table(["figure", "this run", "the original"], rows, "")
        + "<h3>Stock-outs (level 0), first seen</h3>"
        + _table(["hub / item", "this run", "the original"], stock_outs, "No stock-outs.")
    )


def _unmet(lines: Sequence[AreaLine]) -> dict[str, tuple[str, int]]:
    return {line.area: (line.name, line.unmet_urgent_over_4h) for line in lines}


def _areas_at_end(areas: AreasAtEnd, end: datetime) -> str:
    """Unmet urgent requests by area at the end, run beside original: a table, and a pair of
    maps (the board's drawing) when areas are loaded."""
    mine, theirs = _unmet(areas.run), _unmet(areas.original)
    rows = []
    for code in sorted(mine.keys() | theirs.keys()):
        name = (mine.get(code) or theirs[code])[0]
        run, original = mine.get(code, (name, 0))[1], theirs.get(code, (name, 0))[1]
        rows.append(
            [escape(f"{name} ({code})"), _number(run), _number(original), f"{run - original:+,}"]
        )
    title = (
        f"<h2>Unmet urgent requests by area at the end ({_time(end)} scenario time)</h2>"
        f"<p class='muted'>Urgent requests raised over {URGENT_HOURS} hours before and not"
        " accepted, by the area each names.</p>"
    )
    table = _table(["area", "this run", "the original", "difference"], rows, "No areas.")
    if areas.loaded is None:
        return (
            title
            + table
            + "<p class='muted'>No areas are loaded, so there is no map: load them with"
            " <code>tandem areas load FILE</code>.</p>"
        )
    maps = "".join(
        f"<figure><figcaption>{side}</figcaption>"
        + area_map(
            [
                MapArea(
                    line.area,
                    line.name,
                    line.unmet_urgent_over_4h,
                    f"{line.unmet_urgent_over_4h:,} unmet urgent requests ({side.lower()})",
                )
                for line in lines
            ],
            areas.loaded.places,
            hubs,
            f"{side}: map of the areas shaded by unmet urgent requests at the end, and the"
            " hubs by their lowest days of cover; every area's figure is in the table.",
            MAP_WIDTH,
        )
        + "</figure>"
        for side, lines, hubs in (
            ("This run", areas.run, areas.hubs_run),
            ("The original", areas.original, areas.hubs_original),
        )
    )
    return (
        title
        + f"<div class='maps'>{maps}{legend(f'unmet urgent requests over {URGENT_HOURS} h')}</div>"
        + f"<p class='muted'>Area boundaries: {escape(areas.loaded.source)}"
        f" (version {areas.loaded.version}).</p>" + table
    )


def first_seen(
    comparisons: Sequence[Comparison], hub: str, item: str, *, run: bool
) -> datetime | None:
    for c in comparisons:
        if (hub, item) in (c.run if run else c.original).stock_outs:
            return c.scenario_time
    return None


def _referrals(run: Sequence[ReferralAnswers], original: Sequence[ReferralAnswers]) -> str:
    rows = []
    partners = sorted({a.partner for a in run} | {a.partner for a in original})
    mine = {a.partner: a for a in run}
    theirs = {a.partner: a for a in original}
    for partner in partners:
        cells = [escape(partner)]
        for answers in (mine.get(partner), theirs.get(partner)):
            cells += [
                _number(answers.referrals if answers else None),
                _number(answers.accepted_percent if answers else None),
                _number(answers.median_hours_to_accept if answers else None),
            ]
        rows.append(cells)
    headers = [
        "referred to",
        "run: referrals",
        "run: accepted %",
        "run: median h to accept",
        "original: referrals",
        "original: accepted %",
        "original: median h to accept",
    ]
    return "<h2>Time to accept referrals, per partner</h2>" + _table(headers, rows, "No referrals.")


def _lessons(lessons: Sequence[tuple[datetime, str]]) -> str:
    rows = [[str(n), escape(text), _time(at)] for n, (at, text) in enumerate(lessons, 1)]
    return "<h2>Lessons identified</h2>" + _table(
        ["#", "lesson", "recorded"], rows, "None recorded yet: tandem lesson add --run RUN TEXT"
    )
