"""An incident's archived events in scenario order, a page at a time, the next page read on its
own connection while the player sends the current one."""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from typing import Any

import psycopg

from services.exercises.runs import Run

PAGE_EVENTS = 5000
Key = tuple[datetime, str, str]  # (time, source, id): a page starts after it

# Events of the incident in scenario order, after a key; with the run's shift applied to
# `time` in the body when there is one (--shift-to-now). Only those archived by the time the run
# was created: an incident still receiving events replays what it held then, as announced.
PAGE_SQL = """
SELECT time, source, id, partner, type, subject,
       CASE WHEN %(shift)s = interval '0' THEN body::text
            ELSE jsonb_set(body, '{time}', to_jsonb(to_char(
                     (time + %(shift)s) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')))::text
       END
FROM archive
WHERE incident = %(incident)s AND time >= %(time)s AND time <= %(to)s
  AND (time, source, id) > (%(time)s, %(source)s, %(id)s)
  AND archived_at <= (SELECT created_at FROM exercise_runs WHERE run = %(run)s)
ORDER BY time, source, id
LIMIT %(limit)s
"""


class ArchivePages:
    def __init__(self, database_url: str, run: Run) -> None:
        self.conn = psycopg.connect(database_url, autocommit=True)
        self.run = run
        self.reader = ThreadPoolExecutor(1, thread_name_prefix=f"archive-{run.run}")
        self.ahead: tuple[Key, Future[list[tuple[Any, ...]]]] | None = None

    def page(self, after: Key) -> list[tuple[Any, ...]]:
        """The page after `after`; the one after it is then read in the background."""
        if self.ahead is not None and self.ahead[0] == after:
            rows = self.ahead[1].result()
        else:
            rows = self.reader.submit(self._read, after).result()
        self.ahead = None
        if len(rows) == PAGE_EVENTS:
            last = rows[-1]
            self.read_ahead((last[0], last[1], last[2]))
        return rows

    def read_ahead(self, after: Key) -> None:
        """Start reading the page after `after` in the background."""
        self.ahead = (after, self.reader.submit(self._read, after))

    def _read(self, after: Key) -> list[tuple[Any, ...]]:
        return self.conn.execute(
            PAGE_SQL,
            {
                "shift": self.run.shift,
                "run": self.run.run,
                "incident": self.run.incident,
                "to": self.run.scenario_to,
                "time": after[0],
                "source": after[1],
                "id": after[2],
                "limit": PAGE_EVENTS,
            },
        ).fetchall()

    def close(self) -> None:
        self.reader.shutdown(wait=True, cancel_futures=True)
        self.conn.close()
