"""Where the figures are: the areas' boundaries and the hubs' places, for maps and GIS tools.

`areas_geojson` writes the sitrep's figures by area as a GeoJSON FeatureCollection (RFC 7946:
WGS84 longitude, latitude) with the figures as each area's properties, which QGIS or any GIS
reads as a layer. `HUB_PLACES` is where each hub is at T: where its latest status says, or
else its area's centre, with its lowest days of cover; the board and the dashboards draw it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from services.figures.areas import subquery
from services.figures.sitrep import HUBS, STOCK, AreaFigures, rfc3339_utc

AREAS_VERSION = """
SELECT max(version) FROM area_versions
"""

BOUNDARIES = """
SELECT code, gss, latitude, longitude, boundary::text FROM current_areas
"""


HUB_PLACES = f"""
SELECT hubs.hub_id, hubs.name, hubs.status, hubs.area,
       coalesce(hubs.latitude, centre.latitude) AS latitude,
       coalesce(hubs.longitude, centre.longitude) AS longitude,
       cover.lowest AS lowest_days_of_cover
FROM {subquery(HUBS, "hubs (hub_id, status, parcels_per_day, area, name, latitude, longitude)")}
LEFT JOIN current_areas centre ON centre.code = hubs.area
LEFT JOIN (
    SELECT hub_id, min(days_of_cover) AS lowest
    FROM {subquery(STOCK, "stock (hub_id, item, level, distributed_7d, days_of_cover)")}
    GROUP BY hub_id
) AS cover USING (hub_id)
ORDER BY hubs.hub_id COLLATE "C"
"""


@dataclass(frozen=True)
class Boundary:
    """A loaded area: its centre, and its outline as GeoJSON text (None: given as a point)."""

    code: str
    gss: str | None
    latitude: float
    longitude: float
    geometry: str | None

    def feature_geometry(self) -> Any:
        if self.geometry is None:
            return {"type": "Point", "coordinates": [self.longitude, self.latitude]}
        return orjson.Fragment(self.geometry)  # written as stored, never parsed again


@dataclass(frozen=True)
class HubPlace:
    hub_id: str
    name: str
    status: str
    area: str
    latitude: float | None
    longitude: float | None
    lowest_days_of_cover: float | None


def boundaries(rows: list[tuple[Any, ...]]) -> dict[str, Boundary]:
    return {row[0]: Boundary(*row) for row in rows}


def hub_places(rows: list[tuple[Any, ...]]) -> list[HubPlace]:
    return [
        HubPlace(
            hub_id=hub_id,
            name=name,
            status=status,
            area=area,
            latitude=latitude,
            longitude=longitude,
            lowest_days_of_cover=None if lowest is None else float(lowest),  # from numeric
        )
        for hub_id, name, status, area, latitude, longitude, lowest in rows
    ]


def areas_geojson(report: AreaFigures, places: dict[str, Boundary]) -> bytes:
    """Every area of the report as a feature with its figures; `unknown` has no geometry."""
    features = []
    for line in report.areas:
        place = places.get(line.area)
        features.append(
            {
                "type": "Feature",
                "id": line.area,
                "geometry": None if place is None else place.feature_geometry(),
                "properties": {
                    **line.model_dump(mode="json"),
                    "gss": None if place is None else place.gss,
                    "latitude": None if place is None else place.latitude,
                    "longitude": None if place is None else place.longitude,
                },
            }
        )
    collection = {
        "type": "FeatureCollection",
        "incident": report.incident,
        "at": rfc3339_utc(report.at),
        "features": features,
    }
    return orjson.dumps(collection)
