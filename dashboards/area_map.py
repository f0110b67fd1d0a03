"""The map of the overview and food hubs dashboards: a Geomap panel with the areas at their
centres, sized by open urgent requests at the end of the range and coloured by the class the
board's map shades them in, and the hubs coloured by the class of their lowest days of cover.

Its two queries are the figures' own statements (services/figures/areas.py `AREA_REQUESTS`,
services/figures/area_map.py `HUB_PLACES`) through `grafana_sql`, so the map, the sitrep and
the board agree; the classes are services/maps/classes.py's, written in SQL.

No internet tiles: the base layer is the areas' own boundaries, a GeoJSON layer that the
browser fetches from the gateway's public `GET /v1/areas.geojson`. Grafana takes the layer's
`src` literally (it interpolates no template variable before Grafana 12.1), so the URL is
written into the dashboard: the built files carry the default gateway's, and `tandem dashboards
push` writes the running stack's (TANDEM_GATEWAY_URL) in its place (`with_gateway`).
"""

from __future__ import annotations

import copy
from typing import Any

from grafana_foundation_sdk.builders import common as common_builders
from grafana_foundation_sdk.builders import geomap
from grafana_foundation_sdk.models import common
from grafana_foundation_sdk.models import geomap as geomap_models

from dashboards.panels import colour_by_text
from dashboards.query import DATASOURCE, SqlQuery
from dashboards.sitrep_sql import grafana_sql
from schemas.thresholds import URGENT_WAIT, in_hours
from services.figures.area_map import HUB_PLACES
from services.figures.areas import AREA_REQUESTS, subquery
from services.maps.classes import (
    COUNT_CLASSES,
    COVER_CLASSES,
    count_class_sql,
    cover_class_sql,
)
from services.settings import Settings

DEFAULT_GATEWAY = str(Settings.model_fields["gateway_url"].default)
AREAS_PATH = "/v1/areas.geojson"
BASE_LAYER = "Area boundaries"
CLASS = "map class"
URGENT = "open urgent"

AREAS_SQL = f"""
SELECT a.name AS area, a.code, a.latitude, a.longitude,
       coalesce(r.urgent_open, 0) AS "{URGENT}",
       coalesce(r.unmet, 0) AS "unmet urgent over {in_hours(URGENT_WAIT)} h",
       coalesce(r.open, 0) AS "open requests",
       {count_class_sql("coalesce(r.urgent_open, 0)")} AS "{CLASS}"
FROM current_areas a
LEFT JOIN {subquery(grafana_sql(AREA_REQUESTS), "r (area, open, urgent_open, unmet)")}
    ON r.area = a.code
ORDER BY a.code COLLATE "C"
""".strip()

HUBS_SQL = f"""
SELECT hub_id AS hub, name, status, area, latitude, longitude,
       lowest_days_of_cover AS "lowest days of cover",
       {cover_class_sql("lowest_days_of_cover")} AS "{CLASS}"
FROM {
    subquery(
        grafana_sql(HUB_PLACES),
        "places (hub_id, name, status, area, latitude, longitude, lowest_days_of_cover)",
    )
}
WHERE latitude IS NOT NULL AND longitude IS NOT NULL
ORDER BY hub_id COLLATE "C"
""".strip()


def _coords() -> common_builders.FrameGeometrySource:
    return (
        common_builders.FrameGeometrySource()
        .mode(common.FrameGeometrySourceMode.COORDS)
        .latitude("latitude")
        .longitude("longitude")
    )


def _markers(name: str, ref_id: str, style: dict[str, Any]) -> common_builders.MapLayerOptions:
    return (
        common_builders.MapLayerOptions()
        .type("markers")
        .name(name)
        .config({"showLegend": True, "style": style})
        .location(_coords())
        .filter_data({"id": "byRefId", "options": ref_id})
    )


def _text(field: str) -> dict[str, Any]:
    """The figure written on the marker itself: colour is not the only cue."""
    return {
        "text": {"field": field, "fixed": "", "mode": "field"},
        "textConfig": {
            "fontSize": 11,
            "offsetX": 0,
            "offsetY": 0,
            "textAlign": "center",
            "textBaseline": "middle",
        },
    }


def map_panel(title: str, *, width: int = 24, height: int = 12) -> geomap.Panel:
    areas_style = {
        "color": {"field": CLASS, "fixed": COUNT_CLASSES[0].colour},
        "opacity": 0.75,
        "size": {"field": URGENT, "fixed": 8, "min": 8, "max": 30},
        "symbol": {"fixed": "img/icons/marker/circle.svg", "mode": "fixed"},
        **_text(URGENT),
    }
    hubs_style = {
        "color": {"field": CLASS, "fixed": COVER_CLASSES[-1].colour},
        "opacity": 0.9,
        "size": {"fixed": 9},
        "rotation": {"fixed": 45, "mode": "fixed", "min": -360, "max": 360},
        "symbol": {"fixed": "img/icons/marker/square.svg", "mode": "fixed"},
    }
    base = (
        common_builders.MapLayerOptions()
        .type("geojson")
        .name(BASE_LAYER)
        .config(
            {
                "src": DEFAULT_GATEWAY + AREAS_PATH,
                "rules": [],
                "style": {"color": {"fixed": "#bdbdbd"}, "opacity": 0.35, "lineWidth": 1},
            }
        )
    )
    return (
        geomap.Panel()
        .title(title)
        .description(
            "Each area at its centre, sized by its open urgent requests at the end of the range"
            " (the number on it) and coloured by their class ("
            + ", ".join(shade.label for shade in COUNT_CLASSES)
            + ") as on the situation board's map. Hubs as diamonds coloured by their lowest"
            " days of cover: "
            + ", ".join(shade.label for shade in COVER_CLASSES)
            + ". The base layer is the areas' own boundaries, from the gateway's"
            f" {AREAS_PATH}; no map tiles are fetched. Hover for every figure."
        )
        .datasource(DATASOURCE)
        .with_target(SqlQuery(AREAS_SQL, ref_id="Areas"))
        .with_target(SqlQuery(HUBS_SQL, ref_id="Hubs"))
        .span(width)
        .height(height)
        .mappings(colour_by_text({s.label: s.colour for s in (*COUNT_CLASSES, *COVER_CLASSES)}))
        .view(geomap.MapViewConfig().id("fit").all_layers(True).padding(10).max_zoom(14))
        .controls(
            geomap.ControlsOptions()
            .show_zoom(True)
            .mouse_wheel_zoom(False)
            .show_attribution(False)
            .show_scale(True)
        )
        .basemap(base)
        .layers(
            [
                _markers("Open urgent requests by area", "Areas", areas_style),
                _markers("Hubs by lowest days of cover", "Hubs", hubs_style),
            ]
        )
        .tooltip(geomap.TooltipOptions().mode(geomap_models.TooltipMode.DETAILS))
    )


def with_gateway(models: list[dict[str, Any]], gateway_url: str) -> list[dict[str, Any]]:
    """The dashboards with every map's base layer read from `gateway_url` instead."""
    changed = copy.deepcopy(models)
    for model in changed:
        for panel in model.get("panels", []):
            basemap = panel.get("options", {}).get("basemap") or {}
            if basemap.get("name") == BASE_LAYER:
                basemap["config"]["src"] = gateway_url.rstrip("/") + AREAS_PATH
    return changed
