"""6. Exercise control: an exercise run's figures beside the original incident's at the same
scenario time (the run chosen in `run` against 'live', for the same incident).

This assumes a run keeps the original events' times (scenario time). Injects show as annotations
(every dashboard has them, from `exercise_injects`); the exercise clock against scenario time
needs the exercise runner (issue 7); until then the dashboard shows how far the run has reached.
"""

from __future__ import annotations

from grafana_foundation_sdk.models.dashboard import Dashboard

from dashboards.panels import stat_panel, table_panel, tandem_dashboard, time_series_panel
from dashboards.sitrep_sql import (
    AT,
    HEADLINES,
    INCIDENT,
    PARTNER_ACTIVITY,
    RUN,
    Step,
    over_section,
    scope,
)

UID = "tandem-exercise"

LIVE = "'live'"


def _reached(run: str) -> str:
    return f"""
SELECT extract(epoch FROM max(time)) * 1000 AS value
FROM counted_events
WHERE {scope(run=run)} AND time <= {AT}
""".strip()


def _events(run: str) -> str:
    return over_section(
        "partner_activity",
        PARTNER_ACTIVITY,
        "coalesce(sum(value) FILTER (WHERE metric = 'events'), 0)",
        run=run,
    )


def _indent(sql: str, by: int) -> str:
    return "\n".join(" " * by + line for line in sql.splitlines())


PROGRESS = f"""
SELECT round(100.0 * (
{_indent(_events(RUN), 4)}
) / nullif((
{_indent(_events(LIVE), 4)}
), 0), 1) AS value
""".strip()

_FIGURES = "\n    UNION ALL\n".join(
    f"""    SELECT {position} AS position, '{headline.title.replace("'", "''")}' AS figure,
    (
{_indent(headline.sql_with(run=RUN), 8)}
    )::numeric AS exercise,
    (
{_indent(headline.sql_with(run=LIVE), 8)}
    )::numeric AS original"""
    for position, headline in enumerate(HEADLINES)
)
SIDE_BY_SIDE = f"""
SELECT figure, exercise, original, exercise - original AS difference
FROM (
{_FIGURES}
) AS figures
ORDER BY position
""".strip()


def _per_hour(metric: str) -> str:
    return f"""
SELECT $__timeGroupAlias(hour, 1h, 0),
       coalesce(sum(value) FILTER (WHERE run = {RUN}), 0) AS exercise,
       coalesce(sum(value) FILTER (WHERE run = {LIVE}), 0) AS original
FROM hourly_figures
WHERE run IN ({RUN}, {LIVE}) AND incident = {INCIDENT} AND metric = '{metric}'
  AND $__timeFilter(hour)
GROUP BY 1
ORDER BY 1
""".strip()


def dashboard() -> Dashboard:
    return tandem_dashboard(
        UID,
        "Tandem · Exercise control",
        "An exercise run (the run variable) beside the original incident ('live') at the same"
        " scenario time, with the run's injects as annotations. Pending the exercise runner: the"
        " exercise clock against scenario time.",
        "10s",
        [
            [
                stat_panel(
                    "Scenario time reached by the run",
                    _reached(RUN),
                    description="The latest event time counted in the run, up to the end of the"
                    " range.",
                    unit="dateTimeAsIso",
                    width=9,
                ),
                stat_panel(
                    "Original incident at that point",
                    _reached(LIVE),
                    description="The latest event time of the original incident, up to the end"
                    " of the range.",
                    unit="dateTimeAsIso",
                    width=9,
                ),
                stat_panel(
                    "Events replayed",
                    PROGRESS,
                    description="Events counted in the run as a share of the original's, up to"
                    " the end of the range.",
                    unit="percent",
                    steps=(Step(None, "orange"), Step(100, "green")),
                    decimals=1,
                    width=6,
                ),
            ],
            [
                time_series_panel(
                    "Requests raised per hour: exercise against original",
                    _per_hour("raised"),
                    description="Requests raised each hour in the run and in the original.",
                ),
                time_series_panel(
                    "Requests fulfilled per hour: exercise against original",
                    _per_hour("fulfilled"),
                    description="Requests fulfilled each hour in the run and in the original.",
                ),
            ],
            [
                table_panel(
                    "Headline figures: exercise against original",
                    SIDE_BY_SIDE,
                    description="The sitrep's headline figures at the end of the range, in the"
                    " run and in the original incident.",
                    width=24,
                    height=14,
                ),
            ],
        ],
    )
