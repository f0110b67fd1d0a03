"""An exercise run's figures: its topic's events counted under the run.

Replayed and inject events arrive already in run time (the player shifted them). A
participant's event names the run as its `incident` and carries the exercise (wall) time it
happened: it is counted in the replayed incident, at the scenario moment the run's clock showed
then — so the run's figures combine both, by scenario time.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import orjson
import psycopg

from services.exercises.clock import Segment, scenario_at
from services.exercises.runs import Run, load_clock, load_run
from services.figures.writer import apply_batch

Conn = psycopg.Connection[Any]
MOVES_SQL = """
INSERT INTO exercise_event_times
    (run, source, id, partner, type, origin, scenario_time, exercise_time)
SELECT %s, source, id, partner, type, 'participant', scenario_time, exercise_time
FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[], %s::timestamptz[], %s::timestamptz[])
     AS m (source, id, partner, type, scenario_time, exercise_time)
ON CONFLICT DO NOTHING
"""


def in_run_time(
    run: Run, clock: Sequence[Segment], events: Sequence[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[tuple[str, str, str, str, datetime, datetime]]]:
    """The events as the run counts them, and each participant's move with its two times."""
    counted, moves = [], []
    for event in events:
        if event["incident"] == run.run:
            wall = datetime.fromisoformat(event["time"])
            scenario = scenario_at(clock, wall)
            moves.append(
                (event["source"], event["id"], event["partner"], event["type"], scenario, wall)
            )
            event = {**event, "incident": run.incident, "time": run.run_time(scenario).isoformat()}
        counted.append(event)
    return counted, moves


def counter_for(run_id: str) -> Callable[[Conn, Sequence[bytes]], int]:
    runs: list[Run] = []  # a run's bounds and shift never change: read once

    def count_run(conn: Conn, values: Sequence[bytes]) -> int:
        if not runs:
            runs.append(load_run(conn, run_id))
        run, clock = runs[0], load_clock(conn, run_id)
        events, moves = in_run_time(run, clock, [orjson.loads(value) for value in values])
        if moves:
            conn.execute(MOVES_SQL, (run_id, *map(list, zip(*moves, strict=True))))
        return apply_batch(conn, run_id, events)

    return count_run
