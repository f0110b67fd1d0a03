"""What every Tandem dashboard shares: the `run` and `incident` variables, the incident
annotations, the time settings, and one small function per kind of panel.

Panels are sized in grid units (24 across); a dashboard is a list of rows whose widths add up to
24, laid out top to bottom by the SDK.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from grafana_foundation_sdk.builders import (
    barchart,
    bargauge,
    stat,
    statetimeline,
    table,
    timeseries,
)
from grafana_foundation_sdk.builders import common as common_builders
from grafana_foundation_sdk.builders import dashboard as builders
from grafana_foundation_sdk.cog import builder as cogbuilder
from grafana_foundation_sdk.models import common
from grafana_foundation_sdk.models import dashboard as models

from dashboards.query import DATASOURCE, SqlQuery
from dashboards.sitrep_sql import INCIDENT, RUN, Headline, Step

Panel = cogbuilder.Builder[models.Panel]
P = TypeVar(
    "P",
    stat.Panel,
    timeseries.Panel,
    bargauge.Panel,
    table.Panel,
    barchart.Panel,
    statetimeline.Panel,
)

# Runs: 'live', then the exercise runs. One probe of the primary key per distinct run.
RUNS_SQL = """
WITH RECURSIVE runs (run) AS (
    (SELECT run FROM counted_events ORDER BY run LIMIT 1)
    UNION ALL
    SELECT (SELECT c.run FROM counted_events c WHERE c.run > runs.run ORDER BY c.run LIMIT 1)
    FROM runs WHERE runs.run IS NOT NULL
)
SELECT run FROM runs WHERE run IS NOT NULL
ORDER BY run <> 'live', run
""".strip()

# Incidents of the chosen run, the one with the latest event first (the default).
INCIDENTS_SQL = f"""
WITH RECURSIVE incidents (incident) AS (
    (SELECT incident FROM counted_events WHERE run = {RUN} ORDER BY incident LIMIT 1)
    UNION ALL
    SELECT (SELECT c.incident FROM counted_events c
            WHERE c.run = {RUN} AND c.incident > incidents.incident
            ORDER BY c.incident LIMIT 1)
    FROM incidents WHERE incidents.incident IS NOT NULL
)
SELECT incident FROM incidents WHERE incident IS NOT NULL
ORDER BY (SELECT max(c.time) FROM counted_events c
          WHERE c.run = {RUN} AND c.incident = incidents.incident) DESC, incident
""".strip()

INCIDENT_ANNOTATIONS_SQL = f"""
SELECT time,
       CASE kind
           WHEN 'declared' THEN 'Incident declared: ' || coalesce(name, incident)
                                || coalesce(' (level ' || level || ')', '')
           ELSE 'Incident stood down'
       END AS text,
       'incident,' || kind AS tags
FROM incident_events
WHERE run = {RUN} AND incident = {INCIDENT} AND $__timeFilter(time)
ORDER BY time
""".strip()

REFRESH_INTERVALS = ["10s", "30s", "1m", "5m", "15m"]

# Colours of the statuses partners and hubs report.
CAPACITY_COLOURS = {"normal": "green", "stretched": "orange", "overwhelmed": "red"}
HUB_COLOURS = {"open": "green", "limited": "orange", "closed": "red"}


def thresholds(steps: Sequence[Step]) -> builders.ThresholdsConfig:
    return (
        builders.ThresholdsConfig()
        .mode(models.ThresholdsMode.ABSOLUTE)
        .steps([models.Threshold(value=step.value, color=step.color) for step in steps])
    )


def colour_by_text(colours: dict[str, str]) -> list[models.ValueMapping]:
    """Each status shown as itself, in its colour."""
    return [
        models.ValueMap(
            options={
                text: models.ValueMappingResult(text=text, color=colour, index=index)
                for index, (text, colour) in enumerate(colours.items())
            }
        )
    ]


def colour_by_number(colours: dict[str, str]) -> list[models.ValueMapping]:
    """Status numbers 0, 1, 2… shown as the statuses, in their colours (for time series)."""
    return [
        models.ValueMap(
            options={
                str(index): models.ValueMappingResult(text=text, color=colour, index=index)
                for index, (text, colour) in enumerate(colours.items())
            }
        )
    ]


def status_number(column: str, colours: dict[str, str]) -> str:
    """SQL numbering the statuses as `colour_by_number` reads them."""
    cases = " ".join(f"WHEN '{text}' THEN {index}" for index, text in enumerate(colours))
    return f"CASE {column} {cases} END"


def variables() -> list[builders.QueryVariable]:
    run = (
        builders.QueryVariable("run")
        .label("Run")
        .description("live, or an exercise run id")
        .datasource(DATASOURCE)
        .query(RUNS_SQL)
        .definition(RUNS_SQL)
        .current(models.VariableOption(selected=True, text="live", value="live"))
        .refresh(models.VariableRefresh.ON_DASHBOARD_LOAD)
        .sort(models.VariableSort.DISABLED)
        .allow_custom_value(False)
    )
    incident = (
        builders.QueryVariable("incident")
        .label("Incident")
        .description("The incident, from the events counted in the run")
        .datasource(DATASOURCE)
        .query(INCIDENTS_SQL)
        .definition(INCIDENTS_SQL)
        .refresh(models.VariableRefresh.ON_DASHBOARD_LOAD)
        .sort(models.VariableSort.DISABLED)
        .allow_custom_value(False)
    )
    return [run, incident]


# At run time: the inject's scenario time plus the run's shift (--shift-to-now).
INJECT_ANNOTATIONS_SQL = f"""
SELECT i.scenario_time + r.shift AS time,
       'Inject ' || i.inject_id || ': ' || i.synopsis
           || coalesce(' (for ' || i.target_partner || ')', '') AS text,
       'inject,' || i.status AS tags
FROM exercise_injects i
JOIN exercise_runs r ON r.run = i.run
WHERE i.run = {RUN} AND i.status <> 'skipped' AND $__timeFilter(i.scenario_time + r.shift)
ORDER BY 1
""".strip()


def inject_annotations() -> builders.AnnotationQuery:
    return (
        builders.AnnotationQuery()
        .name("Exercise injects")
        .datasource(DATASOURCE)
        .enable(True)
        .icon_color("purple")
        .target(SqlQuery(INJECT_ANNOTATIONS_SQL, ref_id="Injects"))
    )


def incident_annotations() -> builders.AnnotationQuery:
    return (
        builders.AnnotationQuery()
        .name("Incident declared / stood down")
        .datasource(DATASOURCE)
        .enable(True)
        .icon_color("red")
        .target(SqlQuery(INCIDENT_ANNOTATIONS_SQL, ref_id="Anno"))
    )


def tandem_dashboard(
    uid: str,
    title: str,
    description: str,
    refresh: str,
    rows: Sequence[Sequence[Panel]],
) -> models.Dashboard:
    """A dashboard with the shared variables, annotations and links, panels numbered 1, 2…"""
    built = (
        builders.Dashboard(title)
        .uid(uid)
        .description(description)
        .tags(["tandem"])
        .editable()
        .timezone("browser")
        .time("now-7d", "now")
        .refresh(refresh)
        .timepicker(builders.TimePicker().refresh_intervals(REFRESH_INTERVALS))
        .tooltip(models.DashboardCursorSync.CROSSHAIR)
        .link(
            builders.DashboardLink("Tandem dashboards")
            .type(models.DashboardLinkType.DASHBOARDS)
            .tags(["tandem"])
            .as_dropdown(True)
            .include_vars(True)
            .keep_time(True)
        )
        .annotation(incident_annotations())
        .annotation(inject_annotations())
    )
    for variable in variables():
        built = built.with_variable(variable)
    for row in rows:
        for panel in row:
            built = built.with_panel(panel)
    model = built.build()
    for number, panel_model in enumerate(model.panels or [], start=1):
        panel_model.id_val = number
    return model


def _field_defaults(
    panel: P, title: str, sql: SqlQuery, description: str, width: int, height: int
) -> P:
    return (
        panel.title(title)
        .description(description)
        .datasource(DATASOURCE)
        .with_target(sql)
        .span(width)
        .height(height)
    )


def stat_panel(
    title: str,
    sql: str,
    *,
    description: str,
    unit: str = "short",
    steps: Sequence[Step] = (Step(None, "blue"),),
    decimals: int | None = None,
    width: int = 4,
    height: int = 4,
) -> stat.Panel:
    panel = _field_defaults(stat.Panel(), title, SqlQuery(sql), description, width, height)
    panel = (
        panel.unit(unit)
        .thresholds(thresholds(steps))
        .color_mode(
            common.BigValueColorMode.BACKGROUND
            if len(steps) > 1
            else common.BigValueColorMode.VALUE
        )
        .graph_mode(common.BigValueGraphMode.NONE)
        .text_mode(common.BigValueTextMode.VALUE)
        .no_value("0")
        .reduce_options(
            common_builders.ReduceDataOptions().calcs(["lastNotNull"]).values(False).fields("")
        )
    )
    return panel if decimals is None else panel.decimals(decimals)


def headline_panel(headline: Headline, width: int = 4, height: int = 4) -> stat.Panel:
    """A sitrep figure as a stat panel, with the sitrep's own SQL."""
    panel = stat_panel(
        headline.title,
        headline.sql,
        description=headline.description,
        unit=headline.unit,
        steps=headline.thresholds,
        decimals=headline.decimals,
        width=width,
        height=height,
    )
    # "No data" means no fulfilled request yet for the median: not zero hours.
    return panel.no_value("–") if headline.decimals is not None else panel


def time_series_panel(
    title: str,
    sql: str,
    *,
    description: str,
    unit: str = "short",
    bars: bool = False,
    stacked: bool = False,
    width: int = 12,
    height: int = 8,
    mappings: list[models.ValueMapping] | None = None,
) -> timeseries.Panel:
    panel = _field_defaults(
        timeseries.Panel(), title, SqlQuery(sql, format="time_series"), description, width, height
    )
    panel = (
        panel.unit(unit)
        .draw_style(common.GraphDrawStyle.BARS if bars else common.GraphDrawStyle.LINE)
        .fill_opacity(60 if bars else 15)
        .line_width(1)
        .legend(
            common_builders.VizLegendOptions()
            .display_mode(common.LegendDisplayMode.LIST)
            .placement(common.LegendPlacement.BOTTOM)
            .show_legend(True)
        )
        .tooltip(common_builders.VizTooltipOptions().mode(common.TooltipDisplayMode.MULTI))
        .thresholds(thresholds((Step(None, "green"),)))
    )
    if stacked:
        panel = panel.stacking(common_builders.StackingConfig().mode(common.StackingMode.NORMAL))
    return panel if mappings is None else panel.mappings(mappings)


def bar_gauge_panel(
    title: str,
    sql: str,
    *,
    description: str,
    unit: str = "short",
    steps: Sequence[Step] = (Step(None, "blue"),),
    decimals: int | None = None,
    width: int = 12,
    height: int = 8,
) -> bargauge.Panel:
    """One bar per row of the result, named by its text column."""
    panel = _field_defaults(bargauge.Panel(), title, SqlQuery(sql), description, width, height)
    panel = (
        panel.unit(unit)
        .min(0)
        .thresholds(thresholds(steps))
        .orientation(common.VizOrientation.HORIZONTAL)
        .display_mode(common.BarGaugeDisplayMode.BASIC)
        .value_mode(common.BarGaugeValueMode.COLOR)
        .name_placement(common.BarGaugeNamePlacement.LEFT)
        .show_unfilled(True)
        .no_value("none")
        .reduce_options(
            common_builders.ReduceDataOptions().calcs(["lastNotNull"]).values(True).fields("")
        )
    )
    return panel if decimals is None else panel.decimals(decimals)


def table_panel(
    title: str,
    sql: str,
    *,
    description: str,
    width: int = 12,
    height: int = 8,
    colours: dict[str, str] | None = None,
) -> table.Panel:
    """A table; with `colours`, cells holding one of those statuses are filled in its colour.

    Set on the field defaults rather than as an override of one column: the SDK's JSON schema
    has no room for the string options of Grafana's field matchers.
    """
    panel = _field_defaults(table.Panel(), title, SqlQuery(sql), description, width, height)
    panel = panel.show_header(True).cell_height(common.TableCellHeight.SM).no_value("none")
    if colours is None:
        return panel.thresholds(thresholds((Step(None, "blue"),)))
    return (
        panel.mappings(colour_by_text(colours))
        .thresholds(thresholds((Step(None, "transparent"),)))
        .cell_options(
            # applyToRow only to tell it apart from the bar gauge options in the schema.
            common.TableColoredBackgroundCellOptions(
                mode=common.TableCellBackgroundDisplayMode.BASIC, apply_to_row=False
            )
        )
    )


def bar_chart_panel(
    title: str,
    sql: str,
    *,
    description: str,
    x_field: str,
    unit: str = "short",
    stacked: bool = False,
    horizontal: bool = False,
    width: int = 12,
    height: int = 8,
) -> barchart.Panel:
    """Bars per row of a table: `x_field` names the groups, every numeric column is a series."""
    panel = _field_defaults(barchart.Panel(), title, SqlQuery(sql), description, width, height)
    return (
        panel.unit(unit)
        .x_field(x_field)
        .orientation(
            common.VizOrientation.HORIZONTAL if horizontal else common.VizOrientation.VERTICAL
        )
        .stacking(common.StackingMode.NORMAL if stacked else common.StackingMode.NONE)
        .show_value(common.VisibilityMode.AUTO)
        .fill_opacity(80)
        .legend(
            common_builders.VizLegendOptions()
            .display_mode(common.LegendDisplayMode.LIST)
            .placement(common.LegendPlacement.BOTTOM)
            .show_legend(True)
        )
        .thresholds(thresholds((Step(None, "green"),)))
    )


def state_timeline_panel(
    title: str,
    sql: str,
    *,
    description: str,
    colours: dict[str, str],
    width: int = 24,
    height: int = 8,
) -> statetimeline.Panel:
    """One lane per series; values are status numbers shown as the statuses' colours."""
    panel = _field_defaults(
        statetimeline.Panel(),
        title,
        SqlQuery(sql, format="time_series"),
        description,
        width,
        height,
    )
    return (
        panel.mappings(colour_by_number(colours))
        .thresholds(thresholds((Step(None, "transparent"),)))
        .show_value(common.VisibilityMode.NEVER)
        .merge_values(True)
        .row_height(0.8)
        .fill_opacity(80)
        .legend(common_builders.VizLegendOptions().show_legend(False))
    )
