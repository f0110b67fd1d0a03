"""The demo's map: ILLUSTRATIVE boundaries of Kingston upon Thames' wards, made by the project.

Not the real ward map: each ward is the Voronoi cell of an approximate centre of the real ward,
clipped to a rough outline of the borough, so that the demo draws a recognisable map with
nothing downloaded. A deployment loads its own areas (ONS boundaries, say) instead.

`python -m services.simulate.kingston_map` writes kingston-areas.geojson beside this module;
the test checks the shipped file is what this writes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import MultiPoint, Point, Polygon, mapping

from services.simulate.borough import WARDS

AREAS_FILE = Path(__file__).with_name("kingston-areas.geojson")

NOTE = (
    "Illustrative boundaries made by the Tandem project for its demo: Voronoi cells around"
    " approximate ward centres, clipped to an approximate outline of the Royal Borough of"
    " Kingston upon Thames. They are NOT the real ward map; for real boundaries, load the"
    " ONS ward boundaries (WGS84) with `tandem areas load`."
)

# (name, longitude, latitude): a best estimate of the centre of each 2002-2022 ward, WGS84.
WARD_CENTRES: dict[str, tuple[str, float, float]] = {
    "alexandra": ("Alexandra", -0.2780, 51.3890),
    "berrylands": ("Berrylands", -0.2790, 51.4010),
    "beverley": ("Beverley", -0.2470, 51.3970),
    "canbury": ("Canbury", -0.3000, 51.4190),
    "chessington-north-and-hook": ("Chessington North and Hook", -0.3030, 51.3680),
    "chessington-south": ("Chessington South", -0.3120, 51.3500),
    "coombe-hill": ("Coombe Hill", -0.2650, 51.4190),
    "coombe-vale": ("Coombe Vale", -0.2560, 51.4070),
    "grove": ("Grove", -0.3030, 51.4050),
    "norbiton": ("Norbiton", -0.2860, 51.4110),
    "old-malden": ("Old Malden", -0.2580, 51.3810),
    "st-james": ("St James", -0.2660, 51.3930),
    "st-marks": ("St Mark's", -0.3060, 51.3920),
    "surbiton-hill": ("Surbiton Hill", -0.2910, 51.3960),
    "tolworth-and-hook-rise": ("Tolworth and Hook Rise", -0.2880, 51.3760),
    "tudor": ("Tudor", -0.2940, 51.4290),
}

# (longitude, latitude), clockwise from the Thames by Ham: a rough outline of the borough.
BOROUGH_OUTLINE = (
    (-0.3150, 51.4330),
    (-0.3000, 51.4370),
    (-0.2750, 51.4400),
    (-0.2550, 51.4380),
    (-0.2450, 51.4250),
    (-0.2380, 51.4080),
    (-0.2350, 51.3950),
    (-0.2450, 51.3800),
    (-0.2620, 51.3700),
    (-0.2850, 51.3600),
    (-0.2950, 51.3400),
    (-0.3100, 51.3300),
    (-0.3300, 51.3350),
    (-0.3250, 51.3600),
    (-0.3180, 51.3780),
    (-0.3200, 51.3920),
    (-0.3150, 51.4050),
    (-0.3120, 51.4200),
)

PRECISION = 1e-5
"""Degrees the vertices are snapped to (about a metre): short, stable output."""


def kingston_areas() -> dict[str, Any]:
    """The demo's areas as a GeoJSON FeatureCollection, one feature per ward of the demo."""
    outline = Polygon(BOROUGH_OUTLINE)
    centres = [Point(WARD_CENTRES[ward][1:]) for ward in WARDS]
    cells = shapely.voronoi_polygons(MultiPoint(centres), extend_to=outline).geoms
    features = []
    for ward, centre in zip(WARDS, centres, strict=True):
        cell = next(cell for cell in cells if cell.contains(centre))
        # Snapped and normalised, so the same input always gives the same text.
        ward_area = shapely.normalize(shapely.set_precision(cell & outline, PRECISION))
        features.append(
            {
                "type": "Feature",
                "properties": {"code": ward, "name": WARD_CENTRES[ward][0], "illustrative": True},
                "geometry": mapping(shapely.orient_polygons(ward_area)),
            }
        )
    return {
        "type": "FeatureCollection",
        "name": "Kingston upon Thames wards (illustrative, for the Tandem demo)",
        "illustrative": NOTE,
        "features": features,
    }


def render() -> str:
    """The file's text."""
    return json.dumps(kingston_areas(), ensure_ascii=False, indent=1) + "\n"


if __name__ == "__main__":
    AREAS_FILE.write_text(render(), encoding="utf-8")
    print(f"wrote {AREAS_FILE}")
