"""The situation board shows each incident's latest sitrep edition as issued and the figures that
changed most since the one before, in words, opened in headless Chromium (and axe-core finds no
WCAG 2.2 A/AA violation on it)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from services.figures.editions import issue
from services.settings import Settings
from tests.support.browser import axe_violations, chromium_page
from tests.support.figures_tables import load
from tests.support.servers import running_gateway
from tests.support.sitrep_events import INCIDENT, SCENARIO, T, ago, later, raised

pytestmark = pytest.mark.timeout(120)

ISSUED = datetime(2024, 3, 10, 12, 5, tzinfo=UTC)
# One urgent request raised before T arrives late; three more are raised after it.
LATE = [raised("s4", ago(hours=5), "food", "urgent")]
AFTER = [raised(f"n{n}", later(minutes=10 * n), "shelter") for n in range(1, 4)]


def test_the_board_shows_the_latest_edition_and_what_changed_most(
    database_url: str, tmp_path: Path
) -> None:
    with psycopg.connect(database_url) as conn:
        load(conn, SCENARIO)
        issue(conn, INCIDENT, T, "duty officer", ISSUED)
        load(conn, LATE + AFTER)
        issue(conn, INCIDENT, T + timedelta(hours=1), "schedule", ISSUED + timedelta(hours=1))
    settings = Settings(TANDEM_DATA_DIR=tmp_path / "data", DATABASE_URL=database_url)
    with running_gateway(settings) as url, chromium_page() as (page, errors):
        page.goto(url)
        section = page.locator(f"[data-incident='{INCIDENT}']")
        issued = section.locator("[data-edition]")
        assert issued.get_attribute("data-edition") == "2"
        assert issued.inner_text() == (
            "Edition 2, as at 10 March 2024 13:00 UTC, issued 10 March 2024 13:05 UTC by schedule."
        )
        # Since edition 1 (1 open, 3 raised): s4 and n1..n3 are open and raised by the
        # council, 3 of them shelter; s1 is still open at 13:00 (it is cancelled at 14:00).
        # The headline's first, then the breakdowns' and lines', each by its change against
        # what it was: open 1 → 5 (×4), raised 3 → 7 (×1.33); the area's open 1 → 5 (×4),
        # shelter and routine 0 → 3 (3 against 1), before the council's events 4 → 8 (×1).
        changes = section.locator("[data-change]")
        assert changes.evaluate_all("items => items.map(i => i.dataset.change)") == [
            "requests.open",
            "requests.raised_total",
            "areas[unknown].open",
            "requests.open_by_need[shelter]",
            "requests.open_by_priority[routine]",
        ]
        assert changes.all_inner_texts()[:2] == [
            "Open requests 5 (+4)",
            "Requests raised in total 7 (+4)",
        ]
        late = section.locator("[data-late]")
        assert late.inner_text().startswith(
            "Late events: edition 1 would now read: Open requests 2 (1 as issued, +1 from late"
            " events)"
        )
        assert axe_violations(page) == []
        assert errors == []
