"""`GET /v1/incidents/{id}/areas.geojson`: the figures by area as a GIS tool reads them, read back
with a GeoJSON parser and compared with the hand-worked figures and the loaded boundaries."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geojson
import httpx
import psycopg

from services.settings import Settings
from services.store.partners import Partner, add_partner
from tests.support.area_events import BOUNDARIES, CENTRES, EVENTS, EXPECTED, PLACES
from tests.support.figures_tables import load
from tests.support.places import load_places
from tests.support.servers import running_gateway
from tests.support.sitrep_events import INCIDENT, later


def test_the_areas_come_with_their_figures_and_boundaries(
    database_url: str, tmp_path: Path
) -> None:
    with psycopg.connect(database_url) as conn:
        load_places(conn, PLACES, CENTRES, BOUNDARIES)
        load(conn, EVENTS)
        load(conn, EVENTS[:3], run="exercise-1")
        token = add_partner(conn, Partner("kingston-foodbank", "Kingston Foodbank"))
    settings = Settings(TANDEM_DATA_DIR=tmp_path / "data", DATABASE_URL=database_url)
    path = f"/v1/incidents/{INCIDENT}/areas.geojson"
    bearer = {"Authorization": f"Bearer {token}"}
    with running_gateway(settings) as url, httpx.Client(base_url=url) as client:
        assert client.get(path, params={"at": later()}).status_code == 401
        found = client.get(path, params={"at": later(hours=0)}, headers=bearer)
        in_run = client.get(
            path, params={"at": later(hours=0), "run": "exercise-1"}, headers=bearer
        )
        missing = client.get("/v1/incidents/nope/areas.geojson", headers=bearer)

    assert found.status_code == 200
    assert found.headers["content-type"] == "application/geo+json"
    collection = geojson.loads(found.text)
    assert isinstance(collection, geojson.FeatureCollection) and collection.is_valid
    assert (collection["incident"], collection["at"]) == (INCIDENT, "2024-03-10T12:00:00Z")
    # Compared as sent: the parser rounds coordinates to 6 places.
    features = {feature["id"]: feature for feature in found.json()["features"]}
    assert list(features) == [line["area"] for line in EXPECTED]
    for line in EXPECTED:
        feature: Any = features[line["area"]]
        centre = CENTRES.get(line["area"], (None, None))
        assert feature["properties"] == {
            **line,
            "gss": None,
            "latitude": centre[0],
            "longitude": centre[1],
        }
        if line["area"] == "unknown":
            assert feature["geometry"] is None
        else:
            assert feature["geometry"] == BOUNDARIES[line["area"]]

    run_features = geojson.loads(in_run.text)["features"]
    # r1 and r2 (by its alias) raised in north; nothing counts under `unknown` yet
    assert [f["properties"]["open"] for f in run_features] == [0, 2, 0]
    assert missing.status_code == 404 and INCIDENT in missing.text


def test_an_area_loaded_as_a_point_is_a_point(database_url: str, tmp_path: Path) -> None:
    with psycopg.connect(database_url) as conn:
        load_places(conn, PLACES, CENTRES)
        load(conn, EVENTS)
        token = add_partner(conn, Partner("kingston-foodbank", "Kingston Foodbank"))
    settings = Settings(TANDEM_DATA_DIR=tmp_path / "data", DATABASE_URL=database_url)
    with running_gateway(settings) as url:
        found = httpx.get(
            f"{url}/v1/incidents/{INCIDENT}/areas.geojson",
            params={"at": later(hours=0)},
            headers={"Authorization": f"Bearer {token}"},
        )
    north = next(f for f in geojson.loads(found.text)["features"] if f["id"] == "north")
    assert north["geometry"] == {"type": "Point", "coordinates": [-0.3, 51.42]}
    assert geojson.Point(north["geometry"]["coordinates"]).is_valid
