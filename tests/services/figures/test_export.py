"""`tandem export`: the sitrep's tables as CSV and HXL-tagged CSV, read back and compared with
the sitrep object, and read by the reference HXL library (libhxl) against the HXL core schema."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import hxl
import psycopg
import pytest

from services.figures.area_tables import areas_table
from services.figures.sitrep import Sitrep, sitrep
from services.figures.sitrep_tables import sitrep_tables
from services.figures.tables_csv import write_csv
from tests.support.figures_tables import load
from tests.support.places import load_places
from tests.support.reference.sitrep import Places
from tests.support.servers import run_tandem
from tests.support.sitrep_events import INCIDENT, SCENARIO, SCENARIO_SITREP, T, later

CONTEXT = [("incident", "#crisis+code"), ("at", "#date+reported")]
# Every table: its columns and their HXL hashtags, as a partner's tools will read them.
COLUMNS = {
    "headline": [("figure", "#indicator+code"), ("value", "#indicator+value+num")],
    "open_requests_by_need": [("need", "#sector+code"), ("open", "#inneed+hh")],
    "open_requests_by_priority": [("priority", "#severity+code"), ("open", "#inneed+hh")],
    "declined_requests_by_reason": [
        ("reason", "#cause+code"),
        ("declined", "#indicator+num+declined"),
    ],
    "referrals": [
        ("from", "#org+code+from"),
        ("to", "#org+code+to"),
        ("count", "#indicator+num+referrals"),
    ],
    "stock": [
        ("hub_id", "#loc+code"),
        ("item", "#item+code"),
        ("level", "#indicator+num+stock_level"),
        ("distributed_7d", "#output+num+distributed+last_7_days"),
        ("days_of_cover", "#indicator+num+days_of_cover"),
    ],
    "hubs": [
        ("hub_id", "#loc+code"),
        ("status", "#status+code"),
        ("parcels_per_day", "#capacity+num+parcels_per_day"),
    ],
    "partners": [
        ("partner", "#org+code"),
        ("events", "#indicator+num+events_published"),
        ("requests_accepted", "#indicator+num+requests_accepted"),
        ("requests_fulfilled", "#reached+hh"),
        ("capacity_status", "#status+code+capacity"),
    ],
}
# The figures by area, with where each area is (the sitrep itself has no coordinates).
AREA_COLUMNS = [
    ("area", "#adm2+code"),
    ("name", "#adm2+name"),
    ("latitude", "#geo+lat"),
    ("longitude", "#geo+lon"),
    ("open", "#inneed+hh"),
    ("urgent_open", "#inneed+hh+urgent"),
    ("unmet_urgent_over_4h", "#inneed+hh+urgent+unmet"),
    ("volunteers_registered", "#capacity+num+volunteers_registered"),
    ("volunteers_available", "#capacity+num+volunteers_available"),
    ("deployments_window", "#output+num+deployments+last_24_hours"),
    ("minutes_window", "#output+num+volunteer_minutes+last_24_hours"),
    ("hubs", "#loc+code+list"),
    ("lowest_days_of_cover", "#indicator+num+days_of_cover+lowest"),
]
# A loaded area where nothing counts: listed with zeros, at its centre, beside `unknown`.
CENTRES = {"hillside": (51.4, -0.3)}
WITH_HILLSIDE = {
    **SCENARIO_SITREP,
    "areas": [
        {
            "area": "hillside",
            "name": "Hillside",
            **dict.fromkeys((name for name, _ in AREA_COLUMNS[4:-2]), 0),
            "hubs": [],
            "lowest_days_of_cover": None,
        },
        *SCENARIO_SITREP["areas"],
    ],
}
# The hashtags of the HXL 1.1 core dictionary.
HXL_CORE = {
    *("access", "activity", "adm1", "adm2", "adm3", "adm4", "adm5", "affected", "beneficiary"),
    *("capacity", "cause", "channel", "contact", "country", "crisis", "currency", "date"),
    *("description", "event", "frequency", "geo", "group", "impact", "indicator", "inneed"),
    *("item", "loc", "meta", "modality", "need", "operations", "org", "output", "population"),
    *("reached", "region", "respondee", "sector", "service", "severity", "status", "subsector"),
    *("targeted", "value"),
}


def text(value: Any) -> str:
    return "" if value is None else str(value)


def expected_rows(s: dict[str, Any]) -> dict[str, list[list[str]]]:
    """Each table's rows, worked out from the sitrep object as figures.md defines it."""
    context = [s["incident"], s["at"]]
    r = s["requests"]

    def counts(values: dict[str, int]) -> list[list[str]]:
        return [[*context, key, text(n)] for key, n in sorted(values.items())]

    def lines(section: str, keys: list[str]) -> list[list[str]]:
        return [[*context, *(text(line[key]) for key in keys)] for line in s[section]]

    return {
        "headline": [
            [*context, f"{section}.{name}", text(value)]
            for section in ("requests", "volunteers")
            for name, value in s[section].items()
            if not isinstance(value, dict)
        ],
        "open_requests_by_need": counts(r["open_by_need"]),
        "open_requests_by_priority": counts(r["open_by_priority"]),
        "declined_requests_by_reason": counts(r["declined_by_reason"]),
        "referrals": lines("referrals", ["from", "to", "count"]),
        "stock": lines("stock", [name for name, _ in COLUMNS["stock"]]),
        "hubs": lines("hubs", [name for name, _ in COLUMNS["hubs"]]),
        "partners": lines("partners", [name for name, _ in COLUMNS["partners"]]),
    }


def read(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def assert_files_are_the_sitrep(out: Path, s: dict[str, Any], hxl_tags: bool) -> None:
    rows = expected_rows(s)
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{name}.csv" for name in COLUMNS)
    for name, columns in COLUMNS.items():
        found = read(out / f"{name}.csv")
        assert found[0] == [column for column, _ in CONTEXT + columns], name
        if hxl_tags:
            assert found[1] == [tag for _, tag in CONTEXT + columns], name
        assert found[2 if hxl_tags else 1 :] == rows[name], name


def assert_areas_are_the_sitreps(
    out: Path, s: dict[str, Any], hxl_tags: bool, centres: dict[str, tuple[float, float]]
) -> None:
    areas = read(out / "areas.csv")
    (out / "areas.csv").unlink()  # the rest is the sitrep's own tables
    assert areas[0] == [column for column, _ in CONTEXT + AREA_COLUMNS]
    if hxl_tags:
        assert areas[1] == [tag for _, tag in CONTEXT + AREA_COLUMNS]
    assert areas[2 if hxl_tags else 1 :] == [
        [
            s["incident"],
            s["at"],
            line["area"],
            line["name"],
            *(text(x) for x in centres.get(line["area"], (None, None))),
            *(text(line[name]) for name, _ in AREA_COLUMNS[4:-2]),
            " ".join(line["hubs"]),
            text(line["lowest_days_of_cover"]),
        ]
        for line in s["areas"]
    ]


def test_every_figure_of_the_sitrep_is_in_one_table_as_figures_md_names_it(tmp_path: Path) -> None:
    report = Sitrep.model_validate(SCENARIO_SITREP)
    for table in sitrep_tables(report):
        write_csv(table, tmp_path, hxl=True)
    assert_files_are_the_sitrep(tmp_path, SCENARIO_SITREP, hxl_tags=True)
    headline = {row[2]: row[3] for row in read(tmp_path / "headline.csv")[2:]}
    assert headline["requests.median_hours_to_fulfil"] == "5.75"
    assert headline["volunteers.minutes_window"] == "240"
    assert len(headline) == 10  # five request figures and five volunteer figures are scalars


def test_a_null_figure_is_an_empty_cell(tmp_path: Path) -> None:
    report = Sitrep.model_validate(
        {
            **SCENARIO_SITREP,
            "requests": {**SCENARIO_SITREP["requests"], "median_hours_to_fulfil": None},
        }
    )
    [headline] = [t for t in sitrep_tables(report) if t.name == "headline"]
    rows = read(write_csv(headline, tmp_path, hxl=False))
    assert ["flood-2024", "2024-03-10T12:00:00Z", "requests.median_hours_to_fulfil", ""] in rows


def test_the_hashtags_are_hxl_core_hashtags_that_libhxl_reads_and_validates(
    tmp_path: Path,
) -> None:
    sitrep_with_areas = Sitrep.model_validate(WITH_HILLSIDE)
    errors: list[str] = []

    def report(error: Any) -> None:
        # Hints ("info", such as a possible outlier) are not errors or warnings.
        if error.rule is None or error.rule.severity != "info":
            errors.append(f"{error.message}: {error.value!r}")

    valid = hxl.schema(callback=report)
    for table in [*sitrep_tables(sitrep_with_areas), areas_table(sitrep_with_areas, CENTRES)]:
        path = write_csv(table, tmp_path, hxl=True)
        dataset = hxl.data(str(path), hxl.InputOptions(allow_local=True))
        assert [c.display_tag for c in dataset.columns] == [c.hxl for c in table.columns]
        assert {c.tag.lstrip("#") for c in dataset.columns} <= HXL_CORE
        assert len(list(dataset)) == len(table.rows)
        valid.validate(hxl.data(str(path), hxl.InputOptions(allow_local=True)))
        assert errors == [], table.name


@pytest.fixture
def loaded(database_url: str) -> Iterator[psycopg.Connection[Any]]:
    with psycopg.connect(database_url) as conn:
        load_places(conn, Places({"hillside": "Hillside"}, {}), CENTRES)
        load(conn, SCENARIO)
        load(conn, SCENARIO[:3], run="exercise-1")
        yield conn


def export(database_url: str, tmp_path: Path, *args: str) -> Any:
    return run_tandem(
        {"DATABASE_URL": database_url, "TANDEM_DATA_DIR": str(tmp_path / "data")},
        "export",
        "--incident",
        INCIDENT,
        *args,
    )


def test_the_command_writes_the_tables_of_the_functions_report(
    loaded: psycopg.Connection[Any], database_url: str, tmp_path: Path
) -> None:
    plain = export(database_url, tmp_path, "--at", later(), "--out", str(tmp_path / "csv"))
    assert plain.returncode == 0, plain.stderr
    assert sorted(plain.stdout.split()) == sorted(
        str(tmp_path / "csv" / f"{name}.csv") for name in [*COLUMNS, "areas"]
    )
    assert_areas_are_the_sitreps(tmp_path / "csv", WITH_HILLSIDE, False, CENTRES)
    assert_files_are_the_sitrep(tmp_path / "csv", SCENARIO_SITREP, hxl_tags=False)

    tagged = export(
        database_url, tmp_path, "--at", later(), "--format", "hxl", "--out", str(tmp_path / "hxl")
    )
    assert tagged.returncode == 0, tagged.stderr
    assert_areas_are_the_sitreps(tmp_path / "hxl", WITH_HILLSIDE, True, CENTRES)
    assert_files_are_the_sitrep(tmp_path / "hxl", SCENARIO_SITREP, hxl_tags=True)

    in_run = export(
        database_url,
        tmp_path,
        "--at",
        later(),
        "--run",
        "exercise-1",
        "--out",
        str(tmp_path / "run"),
    )
    assert in_run.returncode == 0, in_run.stderr
    run_report = sitrep(loaded, INCIDENT, T, "exercise-1").model_dump(mode="json")
    assert run_report != SCENARIO_SITREP
    assert_areas_are_the_sitreps(tmp_path / "run", run_report, False, CENTRES)
    assert_files_are_the_sitrep(tmp_path / "run", run_report, hxl_tags=False)


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["--at", "yesterday", "--out", "{tmp}/out"], "RFC 3339"),
        (["--at", "2024-03-10T12:00:00Z", "--out", "{tmp}/a-file"], "could not write"),
    ],
)
def test_the_command_fails_in_one_line(
    database_url: str,
    loaded: psycopg.Connection[Any],
    tmp_path: Path,
    args: list[str],
    reason: str,
) -> None:
    (tmp_path / "a-file").write_text("not a directory")
    failed = export(database_url, tmp_path, *(arg.format(tmp=tmp_path) for arg in args))
    assert failed.returncode == 1
    # One line of error, after at most the line that says which T the report is as of.
    *said, error = failed.stderr.splitlines()
    assert error.startswith("tandem: ") and reason in error
    assert all(" as of " in line for line in said) and len(said) <= 1
