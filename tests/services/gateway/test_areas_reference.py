"""`GET /v1/areas.geojson`: the loaded areas without figures, for Grafana's Geomap base layer —
no token, readable from another origin, cached and validated by the area version; read back
with a GeoJSON parser and compared with what was loaded."""

from __future__ import annotations

from pathlib import Path

import geojson
import httpx
import psycopg

from services.settings import Settings
from tests.support.area_events import BOUNDARIES, CENTRES, EVENTS, PLACES
from tests.support.figures_tables import load
from tests.support.places import load_places
from tests.support.servers import running_gateway

GRAFANA = {"Origin": "http://127.0.0.1:3000"}


def test_the_areas_without_figures_need_no_token_and_any_origin_may_read_them(
    database_url: str, tmp_path: Path
) -> None:
    settings = Settings(TANDEM_DATA_DIR=tmp_path / "data", DATABASE_URL=database_url)
    with running_gateway(settings) as url, httpx.Client(base_url=url, headers=GRAFANA) as http:
        none_yet = http.get("/v1/areas.geojson")
        with psycopg.connect(database_url) as conn:
            load(conn, EVENTS)
            load_places(conn, PLACES, CENTRES, {"north": BOUNDARIES["north"]})
        found = http.get("/v1/areas.geojson")
        again = http.get("/v1/areas.geojson", headers={"If-None-Match": found.headers["etag"]})
        with psycopg.connect(database_url) as conn:
            load_places(conn, PLACES, CENTRES, BOUNDARIES)  # a new version
        reloaded = http.get("/v1/areas.geojson", headers={"If-None-Match": found.headers["etag"]})

    assert none_yet.status_code == 200
    assert none_yet.json() == {"type": "FeatureCollection", "features": []}
    assert found.status_code == 200
    assert found.headers["content-type"] == "application/geo+json"
    assert found.headers["access-control-allow-origin"] == "*"
    assert found.headers["cache-control"] == "public, max-age=300"
    collection = geojson.loads(found.text)
    assert isinstance(collection, geojson.FeatureCollection) and collection.is_valid
    features = {f["id"]: f for f in found.json()["features"]}
    assert list(features) == ["east", "north", "south"]
    assert features["north"]["geometry"] == BOUNDARIES["north"]
    assert features["east"]["geometry"] == {"type": "Point", "coordinates": [-0.25, 51.39]}
    for code, feature in features.items():
        latitude, longitude = CENTRES[code]
        assert feature["properties"] == {
            "code": code,
            "name": PLACES.names[code],
            "gss": None,
            "latitude": latitude,
            "longitude": longitude,
        }
        # No figure of any incident: those are behind a token.
        assert "open" not in feature["properties"]
    assert found.json()["source"] == "places"
    assert again.status_code == 304 and again.content == b""
    assert reloaded.status_code == 200 and reloaded.headers["etag"] != found.headers["etag"]
    assert [f["geometry"]["type"] for f in reloaded.json()["features"]] == ["Polygon"] * 3
