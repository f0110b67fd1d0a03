"""Reading and checking an areas file, with no database: GeoJSON polygons or CSV points; every
problem listed with where it is, and no areas when there is any."""

from __future__ import annotations

import hashlib
import json

import pytest

from services.geography.boundaries import (
    Area,
    AreasRefused,
    Fields,
    Problem,
    parse_areas,
)
from tests.support.area_files import (
    BNG_WARDS,
    BOW_TIE,
    ONS_WARDS,
    SIDE,
    WARDS,
    WARDS_CSV,
    collection,
    feature,
    square,
)

CODE_AND_NAME = Fields()


def refused(data: bytes, fields: Fields = CODE_AND_NAME) -> list[Problem]:
    with pytest.raises(AreasRefused) as caught:
        parse_areas(data, "areas-file", fields)
    return caught.value.problems


def test_geojson_areas_have_their_polygon_its_centroid_and_lower_case_codes() -> None:
    loaded = parse_areas(WARDS, "wards.geojson")
    assert (loaded.source, loaded.digest) == ("wards.geojson", hashlib.sha256(WARDS).hexdigest())
    polygons = [f["geometry"] for f in json.loads(WARDS)["features"]]
    half = SIDE / 2
    assert [a.model_dump() for a in loaded.areas] == [
        {
            "code": "canbury",
            "name": "Canbury",
            "gss": None,
            "latitude": pytest.approx(51.40 + half),
            "longitude": pytest.approx(-0.32 + half),
            "boundary": polygons[0],
            "aliases": ("kt2-north",),
        },
        {
            "code": "e05000409",
            "name": "Norbiton",
            "gss": "E05000409",  # the ONS code as written, the code lower-cased
            "latitude": pytest.approx(51.40 + half),
            "longitude": pytest.approx(-0.30 + half),
            "boundary": polygons[1],
            "aliases": ("norbiton", "cambridge-estate"),
        },
        {
            "code": "surbiton-hill",
            "name": "Surbiton Hill",
            "gss": "E05000413",
            "latitude": pytest.approx(51.38 + half),
            "longitude": pytest.approx(-0.30 + half),
            "boundary": polygons[2],
            "aliases": (),
        },
    ]


def test_csv_areas_are_points_with_aliases_split_on_semicolons() -> None:
    loaded = parse_areas(WARDS_CSV, "wards.csv")
    assert loaded.areas == (
        Area(
            code="canbury",
            name="Canbury",
            latitude=51.419,
            longitude=-0.3,
            aliases=("kt2-north",),
        ),
        Area(
            code="e05000409",
            name="Norbiton",
            gss="E05000409",
            latitude=51.411,
            longitude=-0.286,
            aliases=("norbiton", "cambridge-estate"),
        ),
        Area(
            code="surbiton-hill",
            name="Surbiton Hill",
            gss="E05000413",
            latitude=51.396,
            longitude=-0.291,
        ),
    )


def test_a_code_in_capitals_is_lower_cased_and_only_a_gss_code_is_kept_as_gss() -> None:
    data = collection(
        feature(square(-0.32, 51.40), code="Canbury", name="Canbury"),
        feature(square(-0.30, 51.40), code="W05000123", name="A Welsh ward"),
        feature(square(-0.28, 51.40), code="E05000409", name="Norbiton", gss="E05013933"),
    )
    loaded = parse_areas(data, "areas.geojson")
    assert [(a.code, a.gss) for a in loaded.areas] == [
        ("canbury", None),
        ("w05000123", "W05000123"),
        ("e05000409", "E05013933"),  # the file's own gss wins
    ]


def test_an_ons_file_loads_as_downloaded_naming_its_code_and_name_properties() -> None:
    problems = refused(ONS_WARDS)
    assert {p.reason for p in problems} == {
        "has no code (the code property or column)",
        "has no name (the name property or column)",
    }
    loaded = parse_areas(ONS_WARDS, "Wards_May_2022.geojson", Fields("WD22CD", "WD22NM"))
    assert [(a.code, a.gss, a.name) for a in loaded.areas] == [
        ("e05013926", "E05013926", "Canbury Gardens"),
        ("e05013933", "E05013933", "Norbiton"),
    ]


def test_every_problem_is_listed_with_its_feature_and_code() -> None:
    data = collection(
        feature(square(-0.32, 51.40), code="canbury", name="Canbury", aliases=["kt2"]),
        feature(BOW_TIE, code="bow", name="Bow Tie"),
        feature(square(-0.30, 51.40), code="Canbury", name="Canbury again"),
        feature(square(-0.28, 51.40), code="grove", name="Grove", aliases=["KT2", "bow", "g", "g"]),
        feature(square(-0.26, 51.40), code="unknown", name="Nowhere"),
        feature({"type": "Point", "coordinates": [-0.3, 51.4]}, code="a point", name="A point"),
        feature(None, name="Nameless"),
    )
    assert [str(p) for p in refused(data)] == [
        "feature 2 (code bow): geometry is not valid: Self-intersection[-0.29 51.41]",
        "feature 3 (code canbury): code 'canbury' is also the code of feature 1",
        "feature 4 (code grove): alias 'kt2' is also an alias of feature 1",
        "feature 4 (code grove): alias 'bow' is the code of feature 2",
        "feature 4 (code grove): alias 'g' is also an alias of this area",
        "feature 5 (code unknown): code 'unknown' is reserved for the figures' Unknown area,"
        " where events count whose area names no loaded area",
        "feature 6 (code a point): code 'a point' is not an id: once lower-cased, 1 to 64"
        " characters of a-z, 0-9, '.', '_' or '-', starting with a letter or digit",
        "feature 6 (code a point): geometry is a Point, not a Polygon or MultiPolygon",
        "feature 7: has no code (the code property or column)",
        "feature 7: has no geometry: an area in GeoJSON is a Polygon or MultiPolygon (an area"
        " without a boundary loads from CSV, as a point)",
    ]


def test_a_file_in_british_national_grid_is_refused_once_saying_to_reproject() -> None:
    (problem,) = refused(BNG_WARDS)
    assert (problem.where, problem.code) == ("file", None)
    assert problem.reason.startswith(
        "no area is in WGS84, e.g. feature 1: coordinates x 517000 to 518500,"
        " y 168000 to 169500 are not WGS84 degrees"
    )
    assert "British National Grid" in problem.reason
    assert "ogr2ogr -t_srs EPSG:4326" in problem.reason


def test_one_area_out_of_range_among_good_ones_is_named() -> None:
    data = collection(
        feature(square(-0.32, 51.40), code="canbury", name="Canbury"),
        feature(square(-0.30, 89.99), code="north-pole", name="Beyond the pole"),
    )
    (problem,) = refused(data)
    assert (problem.where, problem.code) == ("feature 2", "north-pole")
    assert "y 89.99 to 90.01 are not WGS84 degrees" in problem.reason


@pytest.mark.parametrize(
    "crs", ["urn:ogc:def:crs:OGC:1.3:CRS84", "EPSG:4326", "urn:ogc:def:crs:EPSG::4326"]
)
def test_a_crs_member_naming_wgs84_is_read(crs: str) -> None:
    data = collection(
        feature(square(-0.32, 51.40), code="canbury", name="Canbury"),
        crs={"type": "name", "properties": {"name": crs}},
    )
    assert [a.code for a in parse_areas(data, "areas.geojson").areas] == ["canbury"]


def test_a_crs_member_naming_another_system_is_refused() -> None:
    data = collection(
        feature(square(517000, 168000, 1500), code="canbury", name="Canbury"),
        crs={"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::27700"}},
    )
    assert [str(p) for p in refused(data)] == [
        "file: its crs is urn:ogc:def:crs:EPSG::27700, not WGS84 longitude/latitude: reproject"
        " the file to WGS84 first, e.g. `ogr2ogr -t_srs EPSG:4326 OUT.geojson IN.geojson`"
    ]


def test_every_bad_csv_row_is_listed_by_its_line() -> None:
    data = (
        b"code,name,latitude,longitude,aliases\n"
        b"canbury,Canbury,51.419,-0.3,\n"
        b"grove,Grove,fifty-one,-0.3,\n"
        b"tudor,Tudor,168000,517000,\n"
        b"norbiton,,51.41,nan,canbury\n"
    )
    problems = [str(p) for p in refused(data)]
    assert problems[0] == "row 3 (code grove): latitude 'fifty-one' is not a number"
    assert problems[1].startswith("row 4 (code tudor): coordinates x 517000, y 168000 are not")
    assert problems[2:] == [
        "row 5 (code norbiton): has no name (the name property or column)",
        "row 5 (code norbiton): longitude 'nan' is not a number",
        "row 5 (code norbiton): alias 'canbury' is the code of row 2",
    ]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"code,name\ncanbury,Canbury\n", "has no column latitude, longitude"),
        (b"code,name,latitude,longitude\n", "has no rows under its header"),
        (b'{"type": "Feature"}', "is not a GeoJSON FeatureCollection"),
        (b'{"type": "FeatureCollection", "features": []}', "has no features"),
        (b'{"type": "FeatureCollection", "features": [NaN]}', "is not valid JSON"),
        (b"\xff\xfecode", "is not UTF-8 text"),
    ],
)
def test_a_file_that_is_not_an_areas_file_is_one_problem(data: bytes, reason: str) -> None:
    (problem,) = refused(data)
    assert problem.where == "file"
    assert problem.reason.startswith(reason)
