"""The map as inline SVG, with its legend: one shape per area (its boundary, or a circle for an
area loaded as a point) shaded by a count's class, and the hubs as diamonds coloured by their
lowest days of cover. Every shape and marker has a <title> (the browser's tooltip) naming it and
its figures; the map as a whole is an image named in words, and the caller puts the same figures
in a table beside it, so colour is never the only way to read it.

Projection: equirectangular, longitude scaled by the cosine of the map's middle latitude, which
keeps a town's or a county's shapes true enough to recognise without any map library.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

import orjson

from services.figures.area_map import Boundary, HubPlace
from services.maps.classes import COUNT_CLASSES, COVER_CLASSES, Shade, count_class, cover_class

WIDTH = 560
MAX_HEIGHT = 480
PAD = 14
POINT_RADIUS = 9
HUB_SIZE = 8
OUTLINE = "#1f1f1f"

Ring = list[list[float]]


@dataclass(frozen=True)
class MapArea:
    """An area as a map shades it: `count` picks its class, `figures` is said in its tooltip."""

    code: str
    name: str
    count: int
    figures: str


def rings(boundary: Boundary) -> list[Ring]:
    """The rings of a Polygon or MultiPolygon, outer and holes alike (drawn even-odd)."""
    if boundary.geometry is None:
        return []
    geometry: dict[str, Any] = orjson.loads(boundary.geometry)
    polygons = (
        geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
    )
    return [ring for polygon in polygons for ring in polygon]


@dataclass(frozen=True)
class Projection:
    west: float
    north: float
    scale: float  # pixels per degree of latitude
    squeeze: float  # cos(middle latitude): a degree of longitude is that much shorter
    width: int
    height: int

    @classmethod
    def fitting(cls, points: Sequence[tuple[float, float]], width: int) -> Projection:
        """Fits every (longitude, latitude) in `width` (and a height in proportion to it),
        keeping the shapes' proportions; the map is then only as wide as what it draws."""
        lons = [lon for lon, _ in points]
        lats = [lat for _, lat in points]
        squeeze = math.cos(math.radians((min(lats) + max(lats)) / 2))
        span_x = (max(lons) - min(lons)) * squeeze or 0.01
        span_y = max(lats) - min(lats) or 0.01
        scale = min((width - 2 * PAD) / span_x, (width * MAX_HEIGHT / WIDTH - 2 * PAD) / span_y)
        drawn = (round(span_x * scale + 2 * PAD), round(span_y * scale + 2 * PAD))
        return cls(min(lons), max(lats), scale, squeeze, *drawn)

    def xy(self, lon: float, lat: float) -> tuple[float, float]:
        return (
            PAD + (lon - self.west) * self.squeeze * self.scale,
            PAD + (self.north - lat) * self.scale,
        )


def _points(
    areas: Sequence[MapArea], places: dict[str, Boundary], hubs: Sequence[HubPlace]
) -> Iterator[tuple[float, float]]:
    for area in areas:
        place = places[area.code]
        yield place.longitude, place.latitude
        for ring in rings(place):
            yield from ((lon, lat) for lon, lat, *_ in ring)
    for hub in hubs:
        if hub.latitude is not None and hub.longitude is not None:
            yield hub.longitude, hub.latitude


def _area_shape(area: MapArea, place: Boundary, projection: Projection) -> str:
    shade = count_class(area.count)
    title = f"<title>{escape(f'{area.name} ({area.code}): {area.figures}')}</title>"
    common = (
        f"class='area' data-area='{escape(area.code)}' data-class='{escape(shade.label)}'"
        f" fill='{shade.colour}' stroke='{OUTLINE}' stroke-width='1'"
    )
    outline = rings(place)
    if not outline:
        x, y = projection.xy(place.longitude, place.latitude)
        return f"<circle {common} cx='{x:.1f}' cy='{y:.1f}' r='{POINT_RADIUS}'>{title}</circle>"
    path = " ".join(
        "M"
        + " L".join(f"{x:.1f},{y:.1f}" for x, y in (projection.xy(p[0], p[1]) for p in ring))
        + " Z"
        for ring in outline
    )
    return f"<path {common} fill-rule='evenodd' d='{path}'>{title}</path>"


def hub_title(hub: HubPlace) -> str:
    cover = (
        "no days of cover known"
        if hub.lowest_days_of_cover is None
        else f"lowest days of cover {hub.lowest_days_of_cover:,.1f}"
    )
    return f"{hub.name} ({hub.hub_id}), {hub.status}: {cover}"


def _hub_marker(hub: HubPlace, projection: Projection) -> str:
    assert hub.latitude is not None and hub.longitude is not None
    shade = cover_class(hub.lowest_days_of_cover)
    x, y = projection.xy(hub.longitude, hub.latitude)
    s = HUB_SIZE
    corners = ((x, y - s), (x + s, y), (x, y + s), (x - s, y))
    diamond = "M" + " L".join(f"{cx:.1f},{cy:.1f}" for cx, cy in corners) + " Z"
    return (
        f"<path class='hub' data-hub='{escape(hub.hub_id)}' data-class='{escape(shade.label)}'"
        f" fill='{shade.colour}' stroke='#ffffff' stroke-width='1.5' d='{diamond}'>"
        f"<title>{escape(hub_title(hub))}</title></path>"
    )


def _swatch(shade: Shade, diamond: bool) -> str:
    shape = (
        "<path d='M8,1 L15,8 L8,15 L1,8 Z' stroke='#ffffff'"
        if diamond
        else f"<rect x='1' y='1' width='14' height='14' stroke='{OUTLINE}'"
    )
    return (
        "<svg width='16' height='16' viewBox='0 0 16 16' aria-hidden='true' focusable='false'>"
        f"{shape} fill='{shade.colour}'/></svg>"
    )


def legend(count_title: str) -> str:
    """What each shade means, as a list: the areas' count classes, then the hubs' cover."""
    areas = "".join(
        f"<li>{_swatch(shade, False)} {escape(shade.label)}</li>" for shade in COUNT_CLASSES
    )
    hubs = "".join(
        f"<li>{_swatch(shade, True)} {escape(shade.label)}</li>" for shade in COVER_CLASSES
    )
    return (
        "<div class='map-legend'>"
        f"<p><b>Areas: {escape(count_title)}</b></p><ul>{areas}</ul>"
        f"<p><b>Hubs (diamonds): lowest days of cover</b></p><ul>{hubs}</ul></div>"
    )


def area_map(
    areas: Sequence[MapArea],
    places: dict[str, Boundary],
    hubs: Sequence[HubPlace],
    label: str,
    width: int = WIDTH,
) -> str:
    """The SVG map of the `areas` that have a place (others are left to the caller's table) and
    of the hubs that have one; `label` names the image for those who cannot see it."""
    drawn = [area for area in areas if area.code in places]
    located = [hub for hub in hubs if hub.latitude is not None and hub.longitude is not None]
    points = list(_points(drawn, places, located))
    if not points:
        return ""
    projection = Projection.fitting(points, width)
    shapes = "".join(_area_shape(area, places[area.code], projection) for area in drawn)
    markers = "".join(_hub_marker(hub, projection) for hub in located)
    return (
        f"<svg xmlns='http://www.w3.org/2000/svg' class='area-map' role='img'"
        f" aria-label='{escape(label)}' viewBox='0 0 {projection.width} {projection.height}'"
        f" width='{projection.width}' height='{projection.height}'>"
        f"<g>{shapes}</g><g>{markers}</g></svg>"
    )
