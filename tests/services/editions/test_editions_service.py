"""The editions service as `tandem up` runs it: on starting, it issues the slots due since its
schedule's last, and no slot twice when started again."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import psycopg

from services.figures.schedules import add
from services.settings import Settings
from tests.support.figures_tables import load
from tests.support.servers import service_process, wait_for
from tests.support.sitrep_events import raised

INCIDENT = "storm-2026"


def test_the_service_issues_what_is_due_once(settings: Settings, tmp_path: Path) -> None:
    now = datetime.now(UTC)
    url = settings.require_database_url()
    with psycopg.connect(url) as conn:
        load(conn, [raised("r1", (now - timedelta(hours=1)).isoformat(), incident=INCIDENT)])
        # Scheduled a day ago at two times of day: exactly two slots have passed since.
        times = [(now - timedelta(hours=h)).time().replace(second=0, microsecond=0) for h in (3, 9)]
        add(conn, INCIDENT, [time(t.hour, t.minute) for t in times], "UTC", now - timedelta(days=1))

    def issued() -> list[tuple[int, datetime, str]]:
        with psycopg.connect(url) as conn:
            rows = conn.execute(
                "SELECT number, slot, issued_by FROM sitrep_editions ORDER BY number"
            ).fetchall()
        return [(n, slot, by) for n, slot, by in rows]

    with service_process("services.editions", settings, tmp_path / "first.log"):
        found = wait_for(lambda: len(issued()) >= 2 and issued(), 30, "two editions")
    assert [(n, by) for n, _, by in found] == [(1, "schedule"), (2, "schedule")]

    # Started again: it runs, and finds nothing due.
    log = tmp_path / "again.log"
    with service_process("services.editions", settings, log):
        wait_for(lambda: "editions running" in log.read_text(), 30, "the service")
        time_to_look = datetime.now(UTC) + timedelta(seconds=2)
        wait_for(lambda: datetime.now(UTC) > time_to_look, 5, "a moment")
    assert issued() == found
