"""6. Exercise control: the run's clock, and its figures beside the original incident's at the
same scenario time (the run chosen in `run` against 'live', for the same incident).

A run's figures are in run time: scenario time plus the run's shift (whole days, when it was
replayed with --shift-to-now), so the original is read at T minus that shift. Injects show as
annotations (every dashboard has them, from `exercise_injects`).
"""

from __future__ import annotations

from grafana_foundation_sdk.models.dashboard import Dashboard

from dashboards.panels import stat_panel, table_panel, tandem_dashboard, time_series_panel
from dashboards.sitrep_sql import (
    AT,
    HEADLINES,
    PARTNER_ACTIVITY,
    RUN,
    Step,
    over_section,
    params_at,
    scope,
)

UID = "tandem-exercise"

LIVE = "'live'"
SHIFT = f"coalesce((SELECT shift FROM exercise_runs WHERE run = {RUN}), interval '0')"
# The original incident at the run's T: the same scenario moment.
ORIGINAL_AT = f"({AT} - {SHIFT})"
ORIGINAL = params_at(ORIGINAL_AT, run=LIVE)

REACHED = f"""
SELECT (SELECT extract(epoch FROM reached) * 1000 FROM exercise_runs WHERE {scope()}) AS value
""".strip()

CLOCK = f"""
SELECT c.at AS "exercise time", c.control, c.state,
       CASE WHEN c.speed IS NULL THEN 'max' ELSE c.speed || 'x' END AS speed,
       c.scenario_time AS "scenario time"
FROM exercise_clock c
JOIN exercise_runs r ON r.run = c.run
WHERE {scope("r")}
ORDER BY c.seq DESC
""".strip()


def _events(**params: str) -> str:
    return over_section(
        "partner_activity",
        PARTNER_ACTIVITY,
        "coalesce(sum(value) FILTER (WHERE metric = 'events'), 0)",
        **params,
    )


def _indent(sql: str, by: int) -> str:
    return "\n".join(" " * by + line for line in sql.splitlines())


PROGRESS = f"""
SELECT round(100.0 * (
{_indent(_events(), 4)}
) / nullif((
{_indent(_events(**ORIGINAL), 4)}
), 0), 1) AS value
""".strip()

_FIGURES = "\n    UNION ALL\n".join(
    f"""    SELECT {position} AS position, '{headline.title.replace("'", "''")}' AS figure,
    (
{_indent(headline.sql_with(run=RUN), 8)}
    )::numeric AS exercise,
    (
{_indent(headline.sql_with(**ORIGINAL), 8)}
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
    """The run's hours, and the original's moved by the run's shift onto the same axis."""
    return f"""
WITH hours AS (
    SELECT hour, value, 'exercise' AS side
    FROM hourly_figures
    WHERE {scope()} AND metric = '{metric}' AND $__timeFilter(hour)
    UNION ALL
    SELECT hour + {SHIFT}, value, 'original'
    FROM hourly_figures
    WHERE {scope(run=LIVE)} AND metric = '{metric}'
      AND hour + {SHIFT} BETWEEN $__timeFrom() AND $__timeTo()
)
SELECT $__timeGroupAlias(hour, 1h, 0),
       coalesce(sum(value) FILTER (WHERE side = 'exercise'), 0) AS exercise,
       coalesce(sum(value) FILTER (WHERE side = 'original'), 0) AS original
FROM hours
GROUP BY 1
ORDER BY 1
""".strip()


def dashboard() -> Dashboard:
    return tandem_dashboard(
        UID,
        "Tandem · Exercise control",
        "An exercise run (the run variable): its clock, and its figures beside the original"
        " incident ('live') at the same scenario time, with the run's injects as annotations.",
        "10s",
        [
            [
                stat_panel(
                    "Scenario time reached",
                    REACHED,
                    description="The scenario time of the last event the player has sent.",
                    unit="dateTimeAsIso",
                    width=12,
                ),
                stat_panel(
                    "Events replayed",
                    PROGRESS,
                    description="Events counted in the run as a share of the original's at the"
                    " same scenario time (the end of the range).",
                    unit="percent",
                    steps=(Step(None, "orange"), Step(100, "green")),
                    decimals=1,
                    width=12,
                ),
            ],
            [
                table_panel(
                    "Exercise clock against scenario time",
                    CLOCK,
                    description="Every control of the run, newest first (so the first row is its"
                    " state and speed now): when, in exercise time, and the scenario time the"
                    " clock showed from then on.",
                    width=24,
                    height=7,
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
