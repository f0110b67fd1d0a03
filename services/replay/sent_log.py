"""What the player has sent, recorded on a connection and thread of its own: each event's
scenario and exercise times, and the run's progress, in the order the batches were sent."""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from typing import Any

import psycopg

STAGE_SQL = """
CREATE TEMP TABLE IF NOT EXISTS sent_times (LIKE exercise_event_times) ON COMMIT DELETE ROWS
"""
COPY_SQL = (
    "COPY sent_times (run, source, id, partner, type, origin, scenario_time, exercise_time)"
    " FROM STDIN"
)
PROGRESS_SQL = (
    "UPDATE exercise_runs SET reached = %s, events_sent = events_sent + %s, updated_at = now()"
    " WHERE run = %s"
)


class SentLog:
    def __init__(self, database_url: str, run: str) -> None:
        self.conn = psycopg.connect(database_url)
        self.run = run
        self.writer = ThreadPoolExecutor(1, thread_name_prefix=f"sent-{run}")
        self.writing: Future[None] | None = None

    def record(self, rows: list[tuple[Any, ...]], reached: datetime | None) -> None:
        """Record rows the broker holds; returns at once unless the previous batch is still
        being written (so at most one waits)."""
        self.wait()
        self.writing = self.writer.submit(self._write, rows, reached)

    def wait(self) -> None:
        if self.writing is not None:
            self.writing.result()
            self.writing = None

    def _write(self, rows: list[tuple[Any, ...]], reached: datetime | None) -> None:
        with self.conn.transaction(), self.conn.cursor() as cur:
            cur.execute(STAGE_SQL)
            with cur.copy(COPY_SQL) as copy:
                for row in rows:
                    copy.write_row(row)
            cur.execute(
                "INSERT INTO exercise_event_times SELECT * FROM sent_times ON CONFLICT DO NOTHING"
            )
            cur.execute(PROGRESS_SQL, (reached, len(rows), self.run))

    def close(self) -> None:
        try:
            self.wait()
        finally:
            self.writer.shutdown(wait=True)
            self.conn.close()
