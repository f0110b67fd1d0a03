"""`tandem sitrep` says which T it shows and why (the board's rule, services/figures/incidents.py),
and refuses an incident with no event, naming the known ones; over HTTP that is a 404."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg

from services.figures.sitrep import sitrep
from services.settings import Settings
from services.store.partners import Partner, add_partner
from tests.support.figures_tables import load
from tests.support.servers import running_gateway, tandem
from tests.support.sitrep_events import INCIDENT, SCENARIO, raised

LATEST = max(datetime.fromisoformat(e["time"]) for e in SCENARIO).astimezone(UTC)


def test_a_past_incident_is_shown_as_of_its_latest_event_and_says_so(
    database_url: str, tmp_path: Path
) -> None:
    with psycopg.connect(database_url) as conn:
        load(conn, SCENARIO)
        expected = sitrep(conn, INCIDENT, LATEST).model_dump(mode="json")
    shown = tandem(database_url, tmp_path, "sitrep", "--incident", INCIDENT)
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout) == expected
    day = f"{LATEST.day} {LATEST:%B %Y %H:%M}"
    assert shown.stderr == (
        f"{INCIDENT} as of {day} UTC, the incident's latest event (no event in the last 24 hours)\n"
    )

    asked = tandem(
        database_url, tmp_path, "sitrep", "--incident", INCIDENT, "--at", "2024-03-10T12:00:00Z"
    )
    assert asked.stderr == f"{INCIDENT} as of 10 March 2024 12:00 UTC, the time asked for\n"


def test_a_live_incident_is_shown_as_of_now(database_url: str, tmp_path: Path) -> None:
    an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
    with psycopg.connect(database_url) as conn:
        load(conn, [raised("r-1", an_hour_ago.isoformat(), incident="storm-2026")])
    before = datetime.now(UTC)
    shown = tandem(database_url, tmp_path, "sitrep", "--incident", "storm-2026")
    assert shown.returncode == 0, shown.stderr
    at = datetime.fromisoformat(json.loads(shown.stdout)["at"])
    assert before <= at <= datetime.now(UTC)
    assert shown.stderr.endswith(", now: the incident is live (an event in the last 24 hours)\n")
    assert json.loads(shown.stdout)["requests"]["open"] == 1


def test_an_unknown_incident_is_an_error_naming_the_known_ones(
    database_url: str, tmp_path: Path
) -> None:
    with psycopg.connect(database_url) as conn:
        load(conn, SCENARIO)
        load(conn, [raised("r-1", "2020-04-06T09:00:00Z", incident="covid-2020")])
    for command in ("sitrep", "export"):
        args = ["--out", str(tmp_path / "out")] if command == "export" else []
        refused = tandem(database_url, tmp_path, command, "--incident", "flood-2042", *args)
        assert (refused.returncode, refused.stdout) == (1, "")
        known = f"covid-2020, {INCIDENT}"
        assert (
            refused.stderr
            == f"tandem: no incident flood-2042: the incidents with events are {known}\n"
        )
    assert not (tmp_path / "out").exists()


def test_http_answers_an_unknown_incident_with_404_naming_the_known_ones(
    database_url: str, tmp_path: Path
) -> None:
    with psycopg.connect(database_url) as conn:
        load(conn, SCENARIO)
        token = add_partner(conn, Partner("kingston-foodbank", "Kingston Foodbank"))
    settings = Settings(TANDEM_DATA_DIR=tmp_path / "data", DATABASE_URL=database_url)
    bearer = {"Authorization": f"Bearer {token}"}
    with running_gateway(settings) as url, httpx.Client(base_url=url, headers=bearer) as client:
        unknown = client.get("/v1/incidents/flood-2042/sitrep")
        assert unknown.status_code == 404
        body: dict[str, Any] = unknown.json()
        assert body["error"] == f"no incident flood-2042: the incidents with events are {INCIDENT}"
        assert client.get(f"/v1/incidents/{INCIDENT}/sitrep").status_code == 200


def test_incidents_lists_each_with_its_span_events_and_partners(
    database_url: str, tmp_path: Path
) -> None:
    covid = [raised(f"r-{n}", f"2020-04-0{n}T09:00:00Z", incident="covid-2020") for n in (1, 6)]
    with psycopg.connect(database_url) as conn:
        load(conn, SCENARIO + covid)
    listed = tandem(database_url, tmp_path, "incidents")
    assert listed.returncode == 0, listed.stderr
    header, *rows = listed.stdout.splitlines()
    assert header.split() == ["incident", "first", "event", "latest", "event", "events", "partners"]
    times = sorted(datetime.fromisoformat(e["time"]).astimezone(UTC) for e in SCENARIO)
    distinct = {(e["source"], e["id"]) for e in SCENARIO}
    partners = {e["partner"] for e in SCENARIO}

    def words(at: datetime) -> list[str]:
        return f"{at.day} {at:%B %Y %H:%M}{f':{at:%S}' if at.second else ''} UTC".split()

    assert [row.split() for row in rows] == [
        [
            "covid-2020",
            *["1", "April", "2020", "09:00", "UTC", "6", "April", "2020", "09:00", "UTC", "2", "1"],
        ],
        [INCIDENT, *words(times[0]), *words(times[-1]), f"{len(distinct):,}", str(len(partners))],
    ]


def test_incidents_says_when_there_is_none(database_url: str, tmp_path: Path) -> None:
    listed = tandem(database_url, tmp_path, "incidents")
    assert (listed.returncode, listed.stdout) == (
        0,
        "no incident yet: no event has reached the figures\n",
    )
