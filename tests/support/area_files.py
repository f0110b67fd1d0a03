"""Areas files as a deployment would load them: GeoJSON squares (whose centre is known without
shapely) and CSV rows, good and bad."""

from __future__ import annotations

import json
from typing import Any

SIDE = 0.02
"""Degrees a side of a test square: about 1.4 km by 2.2 km in Kingston."""


def square(west: float, south: float, side: float = SIDE) -> dict[str, Any]:
    """A GeoJSON Polygon: the square whose south-west corner is (west, south); its centroid is
    (west + side / 2, south + side / 2)."""
    east, north = west + side, south + side
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


BOW_TIE = {
    "type": "Polygon",
    "coordinates": [
        [[-0.30, 51.40], [-0.28, 51.42], [-0.28, 51.40], [-0.30, 51.42], [-0.30, 51.40]]
    ],
}
"""Two triangles meeting at (-0.29, 51.41): a ring that crosses itself, not a valid polygon."""


def feature(geometry: dict[str, Any] | None, **properties: Any) -> dict[str, Any]:
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def collection(*features: dict[str, Any], **members: Any) -> bytes:
    return json.dumps({"type": "FeatureCollection", **members, "features": list(features)}).encode()


WARDS = collection(
    feature(square(-0.32, 51.40), code="canbury", name="Canbury", aliases=["KT2-north"]),
    feature(
        square(-0.30, 51.40),
        code="E05000409",
        name="Norbiton",
        aliases=["norbiton", "cambridge-estate"],
    ),
    feature(square(-0.30, 51.38), code="surbiton-hill", name="Surbiton Hill", gss="E05000413"),
)
"""Three wards side by side: one by an ONS code (its gss kept), aliases given in capitals."""

WARDS_CSV = (
    "\ufeffcode,name,latitude,longitude,gss,aliases\n"
    "canbury,Canbury,51.4190,-0.3000,,kt2-north\n"
    "E05000409,Norbiton,51.4110,-0.2860,,norbiton;Cambridge-Estate\n"
    "surbiton-hill,Surbiton Hill,51.3960,-0.2910,E05000413,\n"
).encode()
"""The same wards as points, as a spreadsheet saves them (with a byte-order mark)."""

ONS_WARDS = collection(
    feature(square(-0.32, 51.40), WD22CD="E05013926", WD22NM="Canbury Gardens", OBJECTID=1),
    feature(square(-0.30, 51.40), WD22CD="E05013933", WD22NM="Norbiton", OBJECTID=2),
)
"""Properties as an ONS ward boundaries download names them."""

BNG_WARDS = collection(
    feature(square(517000, 168000, 1500), code="canbury", name="Canbury"),
    feature(square(518500, 168000, 1500), code="norbiton", name="Norbiton"),
)
"""British National Grid metres (eastings, northings), as the ONS also publishes them."""
