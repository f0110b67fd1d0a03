"""An areas file read and checked, with no database: a GeoJSON FeatureCollection of Polygon or
MultiPolygon features, or CSV rows of points. Every problem is found, each with where it is
(feature or row number, and code), before anything may be loaded: a file loads whole or not at
all.

Codes and aliases are lower-cased, as the `area` of an event is an id in lower case: an ONS GSS
code such as E05000400 becomes the code e05000400, and E05000400 is kept as the area's `gss`
when the file gives none.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict
from shapely.errors import ShapelyError
from shapely.geometry import shape
from shapely.validation import explain_validity

from schemas.ids import ID_PATTERN, Id
from schemas.payload import (
    LATITUDE_LIMIT,
    LONGITUDE_LIMIT,
    TEXT_PATTERN,
    Latitude,
    Longitude,
    Text,
)

UNKNOWN = "unknown"
"""The figures' own area ("Unknown area") for `area` values that name no loaded area."""

POLYGONS = ("Polygon", "MultiPolygon")
CSV_PLACE = ("latitude", "longitude")
ALIAS_SEPARATOR = ";"

# RFC 7946 GeoJSON is WGS84 longitude/latitude and has no `crs`; older files may still name it.
_WGS84_CRS = frozenset(
    {
        "urn:ogc:def:crs:ogc:1.3:crs84",
        "urn:ogc:def:crs:ogc::crs84",
        "urn:ogc:def:crs:epsg::4326",
        "epsg:4326",
        "http://www.opengis.net/def/crs/ogc/1.3/crs84",
        "http://www.opengis.net/def/crs/epsg/0/4326",
    }
)
REPROJECT = (
    "reproject the file to WGS84 first, e.g. `ogr2ogr -t_srs EPSG:4326 OUT.geojson IN.geojson`"
)
_ID = re.compile(ID_PATTERN)
_TEXT = re.compile(TEXT_PATTERN)
_GSS = re.compile(r"[A-Z][0-9]{8}")
"""An ONS GSS code as the ONS writes it (E05000400: a letter for the nation, the entity, the
number), kept as the area's `gss` when it is the code."""


class Area(BaseModel):
    """One area. `latitude`, `longitude`: its centre (the boundary's centroid, or a CSV row's
    point); `boundary`: a GeoJSON Polygon or MultiPolygon in WGS84, None for a point;
    `aliases`: other codes that mean this area (a partner's own)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: Id
    name: Text
    gss: Text | None = None
    latitude: Latitude
    longitude: Longitude
    boundary: dict[str, Any] | None = None
    aliases: tuple[Id, ...] = ()


class AreaSet(BaseModel):
    """The areas of one file in its order; `source` is the file's name, `digest` the SHA-256 of
    its bytes (which file a version was loaded from, years later)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    source: str
    digest: str
    areas: tuple[Area, ...]


@dataclass(frozen=True)
class Fields:
    """The property (GeoJSON) or column (CSV) holding an area's code and its name: an ONS ward
    file loads as downloaded with `Fields("WD22CD", "WD22NM")`."""

    code: str = "code"
    name: str = "name"


@dataclass(frozen=True)
class Problem:
    """One thing wrong: `where` is `feature N` or `row N` (the file's line), or `file`."""

    where: str
    code: str | None
    reason: str

    def __str__(self) -> str:
        code = f" (code {self.code})" if self.code else ""
        return f"{self.where}{code}: {self.reason}"


class AreasRefused(ValueError):
    """The file cannot be loaded; `problems` lists everything wrong with it."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(problems)
        self.problems = problems

    def __str__(self) -> str:
        return "; ".join(map(str, self.problems))


@dataclass
class _Entry:
    """One feature or row while it is checked: `values` holds each of the area's fields found
    good; `outside` says its coordinates are not WGS84 (said once when no entry's are)."""

    where: str
    code: str | None = None
    aliases: tuple[str, ...] = ()
    values: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    outside: str | None = None


def read_areas(path: Path, fields: Fields = Fields()) -> AreaSet:
    return parse_areas(path.read_bytes(), path.name, fields)


def parse_areas(data: bytes, source: str, fields: Fields = Fields()) -> AreaSet:
    """The areas of a file's bytes, GeoJSON when it starts with `{`, else CSV; AreasRefused with
    every problem when anything is wrong."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _refused(f"is not UTF-8 text (byte {exc.start})") from None
    entries = _features(text, fields) if text.lstrip().startswith("{") else _rows(text, fields)
    problems = _problems(entries)
    if problems:
        raise AreasRefused(problems)
    areas = tuple(
        Area.model_validate({"code": e.code, "aliases": e.aliases, **e.values}) for e in entries
    )
    return AreaSet(source=source, digest=hashlib.sha256(data).hexdigest(), areas=areas)


def _refused(reason: str) -> AreasRefused:
    return AreasRefused([Problem("file", None, reason)])


def _features(text: str, fields: Fields) -> list[_Entry]:
    try:
        doc = json.loads(text, parse_constant=_no_constant)
    except ValueError as exc:
        raise _refused(f"is not valid JSON: {exc}") from None
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        raise _refused("is not a GeoJSON FeatureCollection")
    crs = _crs_problem(doc.get("crs"))
    if crs:  # the coordinates are of another system: nothing more about them can be judged
        raise _refused(crs)
    features = doc.get("features")
    if not isinstance(features, list) or not features:
        raise _refused("has no features")
    return [_feature(f"feature {n}", feature, fields) for n, feature in enumerate(features, 1)]


def _no_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number JSON allows")


def _crs_problem(crs: object) -> str | None:
    if crs is None:
        return None
    properties = crs.get("properties") if isinstance(crs, dict) else None
    name = properties.get("name") if isinstance(properties, dict) else None
    if isinstance(name, str) and name.lower() in _WGS84_CRS:
        return None
    return f"its crs is {name or json.dumps(crs)}, not WGS84 longitude/latitude: {REPROJECT}"


def _feature(where: str, feature: object, fields: Fields) -> _Entry:
    entry = _Entry(where)
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        entry.problems.append("is not a GeoJSON Feature")
        return entry
    found = feature.get("properties")
    properties: dict[str, Any] = found if isinstance(found, dict) else {}
    aliases = properties.get("aliases") or []
    if not isinstance(aliases, list):
        entry.problems.append("aliases must be a list of codes")
        aliases = []
    _identify(entry, fields, properties, aliases)
    _bound(entry, feature.get("geometry"))
    return entry


def _rows(text: str, fields: Fields) -> list[_Entry]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = list(reader.fieldnames or [])
    needed = (fields.code, fields.name, *CSV_PLACE)
    missing = [column for column in needed if column not in header]
    if missing:
        raise _refused(
            f"has no column {', '.join(missing)}: a CSV of areas has the columns"
            f" {','.join(needed)} (optional gss,aliases); its header is {','.join(header)}"
        )
    entries = []
    for row in reader:
        entry = _Entry(f"row {reader.line_num}")
        aliases = [a for a in (row.get("aliases") or "").split(ALIAS_SEPARATOR) if a.strip()]
        _identify(entry, fields, row, aliases)
        _locate(entry, row["latitude"], row["longitude"])
        entries.append(entry)
    if not entries:
        raise _refused("has no rows under its header")
    return entries


def _text(value: object) -> str | None:
    """A property's or cell's text, stripped; None when absent, empty or not text."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def _identify(
    entry: _Entry, fields: Fields, values: dict[str, Any], aliases: Sequence[object]
) -> None:
    """The code, name, gss and aliases of an entry, from its properties or cells."""
    written = _text(values.get(fields.code))
    if written is None:
        entry.problems.append(f"has no code (the {fields.code} property or column)")
    else:
        entry.code = written.lower()
        entry.problems += _id_problems("code", entry.code)
    name = _text(values.get(fields.name))
    if name is None:
        entry.problems.append(f"has no name (the {fields.name} property or column)")
    elif not _TEXT.fullmatch(name):
        entry.problems.append("name must be 1 to 200 characters on one line")
    else:
        entry.values["name"] = name
    gss = _text(values.get("gss"))
    if gss is None and written is not None and _GSS.fullmatch(written):
        gss = written
    if gss is not None and not _TEXT.fullmatch(gss):
        entry.problems.append("gss must be 1 to 200 characters on one line")
    entry.values["gss"] = gss
    codes = []
    for alias in aliases:
        text = _text(alias)
        if text is None:
            entry.problems.append(f"alias {alias!r} is not a code")
            continue
        codes.append(text.lower())
        entry.problems += _id_problems("alias", text.lower())
    entry.aliases = tuple(codes)


def _id_problems(what: str, value: str) -> list[str]:
    if not _ID.fullmatch(value):
        return [
            f"{what} {value!r} is not an id: once lower-cased, 1 to 64 characters of a-z, 0-9,"
            " '.', '_' or '-', starting with a letter or digit"
        ]
    if value == UNKNOWN:
        return [
            f"{what} {UNKNOWN!r} is reserved for the figures' Unknown area, where events count"
            " whose area names no loaded area"
        ]
    return []


def _bound(entry: _Entry, geometry: object) -> None:
    """The boundary of a GeoJSON entry, and its centre: the centroid."""
    if not isinstance(geometry, dict):
        entry.problems.append(
            "has no geometry: an area in GeoJSON is a Polygon or MultiPolygon"
            " (an area without a boundary loads from CSV, as a point)"
        )
        return
    kind = geometry.get("type")
    if kind not in POLYGONS:
        entry.problems.append(f"geometry is a {kind}, not a Polygon or MultiPolygon")
        return
    try:
        boundary = shape(geometry)
    except (ValueError, TypeError, KeyError, IndexError, ShapelyError) as exc:
        entry.problems.append(f"geometry cannot be read: {exc}")
        return
    if boundary.is_empty:
        entry.problems.append("geometry is empty")
        return
    entry.outside = _outside(*boundary.bounds)
    if not boundary.is_valid:
        entry.problems.append(f"geometry is not valid: {explain_validity(boundary)}")
        return
    centre = boundary.centroid
    entry.values |= {
        "latitude": centre.y,
        "longitude": centre.x,
        "boundary": {"type": kind, "coordinates": geometry["coordinates"]},
    }


def _locate(entry: _Entry, latitude: str | None, longitude: str | None) -> None:
    """The point of a CSV entry."""
    found = {}
    for name, cell in (("latitude", latitude), ("longitude", longitude)):
        try:
            value = float(cell or "")
        except ValueError:
            value = math.nan
        if math.isfinite(value):
            found[name] = value
        else:
            entry.problems.append(f"{name} {cell!r} is not a number")
    if len(found) == len(CSV_PLACE):
        lat, lon = found["latitude"], found["longitude"]
        entry.outside = _outside(lon, lat, lon, lat)
        entry.values |= {"latitude": lat, "longitude": lon, "boundary": None}


def _outside(west: float, south: float, east: float, north: float) -> str | None:
    """Why these bounds are not WGS84 degrees, or None when they are."""
    if (
        -LONGITUDE_LIMIT <= west <= east <= LONGITUDE_LIMIT
        and -LATITUDE_LIMIT <= south <= north <= LATITUDE_LIMIT
    ):
        return None
    return (
        f"coordinates x {_span(west, east)}, y {_span(south, north)} are not WGS84 degrees"
        f" (longitude within ±{LONGITUDE_LIMIT}, latitude within ±{LATITUDE_LIMIT}): a file in"
        f" metres, such as British National Grid (EPSG:27700), is not read; {REPROJECT}"
    )


def _span(low: float, high: float) -> str:
    return f"{low:g}" if low == high else f"{low:g} to {high:g}"


def _problems(entries: list[_Entry]) -> list[Problem]:
    """Every entry's own problems, and those between entries: codes used twice, aliases that
    are a code or another alias. Coordinates of no entry in WGS84 are said once, for the file."""
    problems = []
    nowhere = all(entry.outside for entry in entries)
    if nowhere:
        example = f"{entries[0].where}: {entries[0].outside}"
        problems.append(Problem("file", None, f"no area is in WGS84, e.g. {example}"))
    first: dict[str, _Entry] = {}
    for entry in entries:
        if entry.code is not None:
            first.setdefault(entry.code, entry)
    alias_of: dict[str, _Entry] = {}
    for entry in entries:
        reasons = list(entry.problems)
        if entry.outside and not nowhere:
            reasons.append(entry.outside)
        if entry.code is not None and first[entry.code] is not entry:
            reasons.append(f"code {entry.code!r} is also the code of {first[entry.code].where}")
        for alias in entry.aliases:
            if alias in first:
                reasons.append(f"alias {alias!r} is the code of {first[alias].where}")
            elif alias in alias_of:
                other = alias_of[alias]
                of = "this area" if other is entry else other.where
                reasons.append(f"alias {alias!r} is also an alias of {of}")
            else:
                alias_of[alias] = entry
        problems += [Problem(entry.where, entry.code, reason) for reason in reasons]
    return problems
