"""`tandem sitrep issue`, `tandem sitrep --since` and `tandem sitrep schedule`, as a user runs
them: an issued edition is kept as it was while late events arrive, the next one says what
changed and what came late, and the changes since a time or an edition equal the difference of
two sitreps the reference oracle computes on its own."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.support.figures_tables import load
from tests.support.reference.sitrep import reference_sitrep
from tests.support.reference.sitrep_changes import reference_changes
from tests.support.servers import tandem
from tests.support.sitrep_events import (
    INCIDENT,
    SCENARIO,
    T,
    ago,
    capacity,
    hub_status,
    later,
    raised,
    step,
    stock_event,
)

T_TEXT = "2024-03-10T12:00:00Z"
LATER_TEXT = "2024-03-10T15:00:00Z"
LATE = [raised("s4", ago(hours=5), "food", "urgent"), raised("s5", ago(hours=3))]
# After T: a hub closes and another opens, stock goes out, a request is accepted, capacity eases.
AFTER = [
    raised("s6", later(hours=1)),
    step("accepted", "s6", later(hours=2)),
    hub_status("hub-a", "closed", 0, later(hours=1)),
    hub_status("hub-b", "open", 40, later(hours=2)),
    stock_event("distributed", "hub-a", "food_parcel", 14, later(hours=2)),
    capacity("available", later(hours=2), "foodbank"),
]


def run(database_url: str, tmp_path: Path, *args: str) -> str:
    done = tandem(database_url, tmp_path, *args)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_an_issued_edition_is_kept_and_the_next_says_what_changed_and_came_late(
    database_url: str, tmp_path: Path
) -> None:
    with psycopg.connect(database_url) as conn:
        load(conn, SCENARIO)
    first = json.loads(
        run(database_url, tmp_path, "sitrep", "issue", "--incident", INCIDENT, "--at", T_TEXT,
            "--by", "Resilience cell", "--format", "json")
    )  # fmt: skip
    assert (first["number"], first["issued_by"], first["changes"], first["late"]) == (
        1,
        "Resilience cell",
        {},
        None,
    )
    assert first["figures"] == reference_sitrep(SCENARIO, INCIDENT, T)

    with psycopg.connect(database_url) as conn:
        load(conn, LATE + AFTER)
    second = run(
        database_url, tmp_path, "sitrep", "issue", "--incident", INCIDENT, "--at", LATER_TEXT
    )
    # At T+3h s1 is cancelled, s4, s5 and s6 open: 3 open against edition 1's 1.
    assert "# SitRep: flood-2024\n\nAs at 2024-03-10T15:00:00Z. Edition 2, issued" in second
    since = "since edition 1, 10 March 2024 12:00 UTC"
    assert f"## What changed {since}\n" in second
    assert f"- Open requests 3 (+2 {since})\n" in second
    assert f"- Hub hub-a: status closed (was open {since})\n" in second
    assert f"- Hub hub-b: parcels per day 40 (new {since})\n" in second
    assert (
        "Late events: edition 1 would now read: Open requests 3 (1 as issued, +2 from late events)"
    ) in second

    stored = json.loads(
        run(database_url, tmp_path, "sitrep", "--incident", INCIDENT, "--at", T_TEXT, "--since",
            "1")
    )  # fmt: skip
    everything = SCENARIO + LATE + AFTER
    # Edition 1 as issued is unchanged by the late events: against it, the figures at T now
    # differ exactly by what came late.
    assert stored["changes"] == reference_changes(
        reference_sitrep(everything, INCIDENT, T), reference_sitrep(SCENARIO, INCIDENT, T)
    )
    assert stored["changes"]["requests.open"] == {"now": 3, "then": 1, "change": 2}
    assert stored["since"] == "edition 1, 10 March 2024 12:00 UTC"


@pytest.mark.parametrize("since", [T, T - timedelta(hours=30)])
def test_changes_since_a_time_are_the_difference_of_the_two_sitreps(
    database_url: str, tmp_path: Path, since: Any
) -> None:
    everything = SCENARIO + LATE + AFTER
    with psycopg.connect(database_url) as conn:
        load(conn, everything)
    shown = json.loads(
        run(database_url, tmp_path, "sitrep", "--incident", INCIDENT, "--at", LATER_TEXT,
            "--since", since.isoformat())
    )  # fmt: skip
    now = reference_sitrep(everything, INCIDENT, T + timedelta(hours=3))
    then = reference_sitrep(everything, INCIDENT, since)
    expected = reference_changes(now, then)
    assert expected  # something changed, so the comparison means something
    assert shown.pop("changes") == expected
    shown.pop("since")
    assert shown == now

    markdown = run(database_url, tmp_path, "sitrep", "--incident", INCIDENT, "--at", LATER_TEXT,
                   "--since", since.isoformat(), "--format", "md")  # fmt: skip
    listed = markdown.split("## What changed since ")[1].split("\n## ")[0]
    assert len([line for line in listed.splitlines() if line.startswith("- ")]) == len(expected)


def test_since_an_edition_that_was_never_issued_is_refused_naming_those_there_are(
    database_url: str, tmp_path: Path
) -> None:
    with psycopg.connect(database_url) as conn:
        load(conn, SCENARIO)
    refused = tandem(database_url, tmp_path, "sitrep", "--incident", INCIDENT, "--since", "4")
    assert refused.returncode == 1
    assert refused.stderr.endswith(f"tandem: no edition 4 of {INCIDENT}: it has no edition yet\n")


def test_a_schedule_is_added_listed_and_removed(database_url: str, tmp_path: Path) -> None:
    with psycopg.connect(database_url) as conn:
        load(conn, SCENARIO)
    added = run(database_url, tmp_path, "sitrep", "schedule", "--incident", INCIDENT, "--at",
                "17:00,09:00", "--zone", "Europe/London")  # fmt: skip
    assert added.startswith(f"{INCIDENT}: an edition at 17:00,09:00 Europe/London while the stack")
    listed = run(database_url, tmp_path, "sitrep", "schedule", "--list").splitlines()
    assert listed[0].split() == ["incident", "at", "zone", "next", "edition"]
    assert listed[1].split()[:3] == [INCIDENT, "09:00,17:00", "Europe/London"]
    bad = tandem(database_url, tmp_path, "sitrep", "schedule", "--incident", INCIDENT, "--at",
                 "9am")  # fmt: skip
    assert bad.returncode == 1 and "'9am' is not a time of day such as 09:00" in bad.stderr
    unknown = tandem(database_url, tmp_path, "sitrep", "schedule", "--incident", "flood-2042",
                     "--at", "09:00")  # fmt: skip
    assert unknown.returncode == 1 and "no incident flood-2042" in unknown.stderr
    assert "no longer scheduled" in run(
        database_url, tmp_path, "sitrep", "schedule", "--incident", INCIDENT, "--remove"
    )
    assert run(database_url, tmp_path, "sitrep", "schedule", "--list").count("\n") == 1
