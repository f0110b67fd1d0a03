"""`GET /v1/incidents/{id}/editions[/{n}]` over real HTTP: any partner's token, as the sitrep;
none or a wrong one is a 401; an unknown incident or edition a 404 naming those there are."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import psycopg

from services.figures.editions import issue
from services.settings import Settings
from services.store.partners import Partner, add_partner
from tests.support.figures_tables import load
from tests.support.reference.sitrep import reference_sitrep
from tests.support.reference.sitrep_changes import reference_changes
from tests.support.servers import running_gateway
from tests.support.sitrep_events import INCIDENT, SCENARIO, T, ago, raised

ISSUED = datetime(2024, 3, 10, 12, 5, tzinfo=UTC)
LATE = [raised("s4", ago(hours=5), "food", "urgent")]


def test_editions_are_read_with_a_partners_token(database_url: str, tmp_path: Path) -> None:
    with psycopg.connect(database_url) as conn:
        load(conn, SCENARIO)
        issue(conn, INCIDENT, T, "duty officer", ISSUED)
        load(conn, LATE)
        issue(conn, INCIDENT, T + timedelta(hours=1), "schedule", ISSUED + timedelta(hours=1))
        token = add_partner(conn, Partner("kingston-foodbank", "Kingston Foodbank"))
    settings = Settings(TANDEM_DATA_DIR=tmp_path / "data", DATABASE_URL=database_url)
    listed_path = f"/v1/incidents/{INCIDENT}/editions"
    with running_gateway(settings) as url, httpx.Client(base_url=url) as client:
        bearer = {"Authorization": f"Bearer {token}"}
        wrong = {"Authorization": "Bearer tdm_nope_nope"}
        for path in (listed_path, f"{listed_path}/1"):
            assert client.get(path).status_code == 401
            assert client.get(path, headers=wrong).status_code == 401

        listed = client.get(listed_path, headers=bearer)
        assert listed.status_code == 200
        assert listed.json() == {
            "incident": INCIDENT,
            "editions": [
                {
                    "incident": INCIDENT,
                    "number": 1,
                    "at": "2024-03-10T12:00:00Z",
                    "issued_at": "2024-03-10T12:05:00Z",
                    "issued_by": "duty officer",
                },
                {
                    "incident": INCIDENT,
                    "number": 2,
                    "at": "2024-03-10T13:00:00Z",
                    "issued_at": "2024-03-10T13:05:00Z",
                    "issued_by": "schedule",
                },
            ],
        }

        second = client.get(f"{listed_path}/2", headers=bearer).json()
        everything = SCENARIO + LATE
        now = reference_sitrep(everything, INCIDENT, T + timedelta(hours=1))
        assert second["figures"] == now
        assert second["previous"] == 1
        assert second["changes"] == reference_changes(now, reference_sitrep(SCENARIO, INCIDENT, T))
        # Edition 1 would now read s4 too: one more open, urgent and raised.
        assert second["late"] == {
            "edition": 1,
            "at": "2024-03-10T12:00:00Z",
            "changes": reference_changes(
                reference_sitrep(everything, INCIDENT, T), reference_sitrep(SCENARIO, INCIDENT, T)
            ),
        }
        first = client.get(f"{listed_path}/1", headers=bearer).json()
        assert first["figures"] == reference_sitrep(SCENARIO, INCIDENT, T)
        assert (first["changes"], first["late"], first["previous"]) == ({}, None, None)

        missing = client.get(f"{listed_path}/3", headers=bearer)
        assert missing.status_code == 404
        assert f"no edition 3 of {INCIDENT}: its editions are 1 to 2" in missing.text
        unknown = client.get("/v1/incidents/flood-2042/editions", headers=bearer)
        assert unknown.status_code == 404
        assert f"no incident flood-2042: the incidents with events are {INCIDENT}" in unknown.text
        assert client.get(f"{listed_path}/0", headers=bearer).status_code == 422
        assert client.get("/v1/incidents/Not An Id/editions", headers=bearer).status_code == 422
