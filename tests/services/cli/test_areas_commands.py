"""`tandem areas load|check|list` as a user runs them, on a real database: a file loads whole or
not at all (every problem listed, exit 1), the history is listed, and the unknown area codes are
reported per partner (exit 0 either way: a report)."""

from __future__ import annotations

from pathlib import Path

import psycopg

from tests.support.area_files import (
    BNG_WARDS,
    BOW_TIE,
    ONS_WARDS,
    WARDS,
    collection,
    feature,
    square,
)
from tests.support.figures_tables import load
from tests.support.servers import tandem
from tests.support.sitrep_events import raised

AREA_TABLES = ("area_versions", "areas", "area_aliases")


def counts(database_url: str) -> list[int]:
    with psycopg.connect(database_url) as conn:
        return [
            int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # type: ignore[index]
            for table in AREA_TABLES
        ]


def written(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_a_good_file_loads_and_says_what_it_loaded(database_url: str, tmp_path: Path) -> None:
    path = written(tmp_path, "wards.geojson", WARDS)
    done = tandem(database_url, tmp_path, "areas", "load", str(path), "--by", "officer")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(
        "loaded 3 areas (3 with a boundary, 3 aliases) from wards.geojson as version 1, sha256 "
    )
    assert counts(database_url) == [1, 3, 3]


def test_a_bad_file_lists_every_problem_and_loads_nothing(
    database_url: str, tmp_path: Path
) -> None:
    bad = collection(
        feature(BOW_TIE, code="bow", name="Bow Tie"),
        feature(BOW_TIE, code="bow", name="Bow Tie again", aliases=["unknown"]),
    )
    for name, data, problems, said in (
        ("bad.geojson", bad, "4 problems", "Self-intersection"),
        ("bng.geojson", BNG_WARDS, "1 problem", "ogr2ogr -t_srs EPSG:4326"),
    ):
        path = written(tmp_path, name, data)
        refused = tandem(database_url, tmp_path, "areas", "load", str(path))
        assert refused.returncode == 1
        assert len(refused.stdout.splitlines()) == int(problems.split()[0]), refused.stdout
        assert said in refused.stdout
        assert refused.stderr == (
            f"tandem: {problems} in {name} (listed above); nothing was loaded\n"
        )
        assert counts(database_url) == [0, 0, 0]


def test_an_ons_file_loads_naming_its_columns_and_the_history_is_listed(
    database_url: str, tmp_path: Path
) -> None:
    ons = written(tmp_path, "Wards_May_2022.geojson", ONS_WARDS)
    loaded = tandem(
        database_url,
        tmp_path,
        "areas",
        "load",
        str(ons),
        "--code-from",
        "WD22CD",
        "--name-from",
        "WD22NM",
        "--by",
        "gis-team",
    )
    assert loaded.returncode == 0, loaded.stderr
    wards = written(tmp_path, "wards.geojson", WARDS)
    assert tandem(database_url, tmp_path, "areas", "load", str(wards), "--by", "ro").returncode == 0

    listed = tandem(database_url, tmp_path, "areas", "list")
    assert listed.returncode == 0, listed.stderr
    first, header, *rows = listed.stdout.splitlines()
    assert first == "version 2, from wards.geojson"
    assert header.split() == ["code", "name", "gss", "latitude", "longitude", "boundary", "aliases"]
    assert [row.split()[0] for row in rows] == ["canbury", "e05000409", "surbiton-hill"]
    assert rows[1].split()[1:] == [
        "Norbiton",
        "E05000409",
        "51.41000",
        "-0.29000",
        "Polygon",
        "cambridge-estate",
        "norbiton",
    ]

    history = tandem(database_url, tmp_path, "areas", "list", "--history")
    assert history.returncode == 0, history.stderr
    header, *versions = history.stdout.splitlines()
    assert header.split()[:3] == ["version", "loaded", "at"]
    assert [[v.split()[0], *v.split()[-4:-1]] for v in versions] == [
        ["1", "gis-team", "Wards_May_2022.geojson", "2"],
        ["2", "ro", "wards.geojson", "3"],
    ]


def test_check_lists_unknown_codes_per_partner_or_says_all_resolve(
    database_url: str, tmp_path: Path
) -> None:
    with psycopg.connect(database_url) as conn:
        load(
            conn,
            [
                raised("r-1", "2024-03-10T09:00:00Z", area="canbury", partner="council"),
                raised("r-2", "2024-03-10T09:00:00Z", area="kt2-north", partner="age-uk"),
                raised("r-3", "2024-03-10T09:00:00Z", area="riverside", partner="council"),
                raised("r-4", "2024-03-10T09:00:00Z", area="riverside", partner="council"),
                raised("r-5", "2024-03-10T09:00:00Z", area="old-town", partner="age-uk"),
            ],
        )
    before = tandem(database_url, tmp_path, "areas", "check")
    assert before.returncode == 0, before.stderr
    assert before.stdout.splitlines()[0].startswith("no areas loaded yet")

    wards = written(tmp_path, "wards.geojson", WARDS)
    assert tandem(database_url, tmp_path, "areas", "load", str(wards)).returncode == 0
    checked = tandem(database_url, tmp_path, "areas", "check")
    assert checked.returncode == 0, checked.stderr
    assert [line.split() for line in checked.stdout.splitlines()] == [
        ["partner", "unknown", "area", "events"],
        ["age-uk", "old-town", "1"],
        ["council", "riverside", "2"],
    ]

    aliased = collection(
        feature(
            square(-0.32, 51.40),
            code="canbury",
            name="Canbury",
            aliases=["kt2-north", "riverside", "old-town"],
        )
    )
    path = written(tmp_path, "aliased.geojson", aliased)
    assert tandem(database_url, tmp_path, "areas", "load", str(path)).returncode == 0
    resolved = tandem(database_url, tmp_path, "areas", "check")
    assert (resolved.returncode, resolved.stdout) == (
        0,
        "every area code resolves: each is a loaded area's code or alias\n",
    )
