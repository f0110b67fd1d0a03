"""Files into contract events: every format, the mappings, and every bad row reported."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from services.publishing.check import check_file
from services.publishing.mapping import MappingProblem, load_mapping
from services.publishing.rows import FileProblem
from tests.support.events_store import sample_event
from tests.support.partner_gateway import EXAMPLES
from tests.support.publishing_files import ATTRIBUTES, STOCK_DATA, as_columns, write_csv, write_xlsx

COUNCIL_MAPPING = EXAMPLES / "council-cases.mapping.yaml"
FOODBANK_MAPPING = EXAMPLES / "foodbank-stock.mapping.yaml"


def test_every_format_without_a_mapping(tmp_path: Path) -> None:
    events = [sample_event(n) for n in range(3)]
    header = ATTRIBUTES + STOCK_DATA
    rows = [as_columns(event) for event in events]
    files = [
        tmp_path / "events.json",
        tmp_path / "events.ndjson",
        write_csv(tmp_path / "events.csv", header, rows),
        write_xlsx(tmp_path / "events.xlsx", header, rows),
    ]
    files[0].write_bytes(orjson.dumps(events))
    files[1].write_bytes(b"\n".join(orjson.dumps(event) for event in events) + b"\n\n")
    for path in files:
        checked = check_file(path, None)
        assert checked.problems == [], path
        assert checked.events == events, path  # quantities are numbers again, subject derived
    one = tmp_path / "one.json"
    one.write_bytes(orjson.dumps(events[0]))
    assert check_file(one, None).events == events[:1]


def test_unreadable_rows_are_numbered_as_in_the_file(tmp_path: Path) -> None:
    path = tmp_path / "events.ndjson"
    first, second = (orjson.dumps(sample_event(n)) for n in range(2))
    lines = [first, b"", b"{not json", b"[1, 2]", second]
    path.write_bytes(b"\n".join(lines))
    checked = check_file(path, None)
    assert [(p.row, p.reason[:15]) for p in checked.problems] == [
        (3, "is not valid JS"),
        (4, "is not a JSON o"),
    ]
    assert [event["id"] for event in checked.events] == ["e-0", "e-1"]


def test_the_council_export_through_its_mapping() -> None:
    checked = check_file(EXAMPLES / "council-cases.csv", load_mapping(COUNCIL_MAPPING))
    assert (checked.rows, checked.good_rows, checked.problems) == (12, 12, [])
    types = Counter(event["type"].split(".")[2] for event in checked.events)
    assert types == {"raised": 12, "fulfilled": 4, "cancelled": 2}
    by_id = {event["id"]: event for event in checked.events}
    assert by_id["CR-2020-0102-raised"] == {
        "specversion": "1.0",
        "id": "CR-2020-0102-raised",
        "source": "/orgs/rbk-council/case-system",
        "type": "resilience.request.raised.v1",
        "time": "2020-03-23T09:47:00+00:00",
        "subject": "cr-2020-0102",
        "partner": "rbk-council",
        "incident": "covid-2020",
        "data": {
            "request_id": "cr-2020-0102",
            "need": "prescription",
            "priority": "high",
            "area": "tolworth-and-hook-rise",
            "household_size": 1,
            "shielding": True,
            "channel": "helpline",
            "person_ref": "res-17730",
        },
    }
    assert by_id["CR-2020-0104-cancelled"]["data"] == {
        "request_id": "cr-2020-0104",
        "reason": "unreachable",
    }
    # London moved to BST at 01:00 GMT on 29 March 2020
    assert by_id["CR-2020-0111-raised"]["time"] == "2020-03-29T00:30:00+00:00"
    assert by_id["CR-2020-0112-raised"]["time"] == "2020-03-29T03:10:00+01:00"


def test_the_foodbank_workbook_through_its_mapping() -> None:
    checked = check_file(EXAMPLES / "foodbank-stock.xlsx", load_mapping(FOODBANK_MAPPING))
    assert (checked.rows, checked.good_rows, checked.problems) == (9, 9, [])
    # 9 rows × 7 counted items, less 4 empty cells, and 9 rows of parcels given out
    types = Counter(event["type"] for event in checked.events)
    assert types == {"resilience.stock.counted.v1": 59, "resilience.stock.distributed.v1": 9}
    tolworth = [e for e in checked.events if e["time"] == "2020-04-06T16:40:00+01:00"]
    assert {e["data"]["item"]: e["data"]["quantity"] for e in tolworth[:-1]} == {
        "tinned": 190,
        "dry": 95,
        "hygiene": 41,
        "pet": 6,
        "food_parcel": 4,
    }
    assert tolworth[-1]["data"] == {
        "hub_id": "tolworth-hub",
        "item": "food_parcel",
        "quantity": 27,
        "households": 25,
    }
    assert tolworth[0]["id"] == "tolworth-hub-2020-04-06t16-40-00-tinned"


def test_every_bad_row_is_reported_with_its_row_and_column(tmp_path: Path) -> None:
    lines = (EXAMPLES / "council-cases.csv").read_text().splitlines()
    broken = {
        3: ("High - within 48 hours", "Soonish"),
        5: ("23/03/2020 11:02", "2020-03-23"),
        6: (",2,Y,", ",two,Y,"),
        8: (",Grove,", ",,"),
        9: ("CR-2020-0108,", ","),
        10: (",Web form,", ",Carrier pigeon,"),
        11: ("Closed - completed,25/03/2020 15:45", "Closed - completed,25/13/2020 15:45"),
    }
    for row, (good, bad) in broken.items():
        assert good in lines[row - 1]
        lines[row - 1] = lines[row - 1].replace(good, bad, 1)
    path = tmp_path / "cases.csv"
    path.write_text("\n".join(lines) + "\n")

    checked = check_file(path, load_mapping(COUNCIL_MAPPING))
    assert [(p.row, p.column, p.attribute) for p in checked.problems] == [
        (3, "Priority", "data.priority"),
        (5, "Date Logged", "time"),
        (6, "Household Size", "data.household_size"),
        (8, "Ward", "data.area"),
        (9, "Case Ref", "id"),
        (10, "Contact Method", "data.channel"),
        (11, "Date Closed", "time"),
    ]
    reasons = [p.reason for p in checked.problems]
    assert reasons[0].startswith("'Soonish' is not one of the mapped values")
    assert reasons[1] == "'2020-03-23' is not a time in the format %d/%m/%Y %H:%M"
    assert reasons[2] == "'two' is not a whole number"
    assert reasons[3] == "is required"
    assert str(checked.problems[0]).startswith('row 3, column "Priority" (data.priority): ')
    assert (checked.rows, checked.bad_rows, checked.good_rows) == (12, 7, 5)
    # a bad row sends none of its events (row 11's raised event is fine, its fulfilled is not)
    sent = {event["data"]["request_id"] for event in checked.events}
    assert sent == {"cr-2020-0101", "cr-2020-0103", "cr-2020-0106", "cr-2020-0111", "cr-2020-0112"}


def test_a_mapping_of_json_rows(tmp_path: Path) -> None:
    mapping = tmp_path / "volunteers.yaml"
    mapping.write_text(
        """
partner: volunteering-kingston
system: signup-form
incident: covid-2020
events:
  - type: resilience.volunteer.registered.v1
    id: "signup-{ref}"
    time: {column: submitted}
    subject: {column: ref, slug: true}
    data:
      volunteer_id: {column: ref, slug: true}
      skills: {column: can_do, values: {Driving: driving, First aid: first_aid}}
      areas: {column: wards, slug: true}
      hours_per_week: {column: hours}
"""
    )
    path = tmp_path / "signups.json"
    path.write_bytes(
        orjson.dumps(
            [
                {
                    "ref": "V-17",
                    "submitted": "2020-03-24T08:00:00Z",
                    "can_do": "Driving; First aid",
                    "wards": ["Norbiton", "Grove"],
                    "hours": "6",
                },
                {"ref": "V-18", "submitted": "2020-03-24T09:00:00Z", "can_do": "flying"},
            ]
        )
    )
    checked = check_file(path, load_mapping(mapping))
    assert checked.events[0]["data"] == {
        "volunteer_id": "v-17",
        "skills": ["driving", "first_aid"],
        "areas": ["norbiton", "grove"],
        "hours_per_week": 6,
    }
    assert checked.events[0]["time"] == "2020-03-24T08:00:00+00:00"
    assert [(p.row, p.column, p.attribute) for p in checked.problems] == [
        (2, "can_do", "data.skills"),
        (2, "wards", "data.areas"),
        (2, "hours", "data.hours_per_week"),
    ]
    assert checked.problems[0].reason.startswith("'flying' is not one of the mapped values")


@pytest.mark.parametrize(
    ("mapping", "said"),
    [
        ("events:\n  - type: resilience.request.raised.v2\n", "is not an event type"),
        (
            "events:\n  - {type: resilience.request.accepted.v1, id: a, time: b,"
            " data: {request_id: c, priorty: d}}\n",
            "data has fields resilience.request.accepted.v1 does not: priorty",
        ),
        (
            "events:\n  - {type: resilience.request.accepted.v1, id: a, time: b}\n",
            "data lacks fields resilience.request.accepted.v1 requires: request_id",
        ),
        (
            "timezone: Europe/Kingston\nevents: []\n",
            "'Europe/Kingston' is not a time zone",
        ),
        (
            "events:\n  - {type: resilience.request.accepted.v1, id: {column: a, value: b},"
            " time: b, data: {request_id: c}}\n",
            "events[0].id: give exactly one of column, template or value",
        ),
    ],
)
def test_a_wrong_mapping_is_refused_before_any_row(tmp_path: Path, mapping: str, said: str) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(f"partner: rbk-council\nsystem: cases\nincident: covid-2020\n{mapping}")
    with pytest.raises(MappingProblem, match=said.replace("[", r"\[").replace("]", r"\]")):
        load_mapping(path)


def test_a_column_the_mapping_reads_must_be_in_the_file(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "cases.csv", ["Case Ref", "Date Logged"], [["CR-1", "x"]])
    with pytest.raises(
        FileProblem, match="lacks columns the mapping reads: 'Contact Method', 'Date Closed', "
    ):
        check_file(path, load_mapping(COUNCIL_MAPPING))


def test_sheet_rows_keep_their_numbers_and_times_their_zone(tmp_path: Path) -> None:
    header = ["Hub", "Counted at", "Tins"]
    rows: list[list[Any]] = [
        ["Tolworth hub", datetime(2020, 1, 10, 9, 0), 5],
        [None, None, None],
        ["Tolworth hub", datetime(2020, 6, 10, 9, 0), -1],
    ]
    path = write_xlsx(tmp_path / "stock.xlsx", header, rows)
    mapping = tmp_path / "m.yaml"
    mapping.write_text(
        """
partner: kingston-foodbank
system: stock-sheet
incident: covid-2020
timezone: Europe/London
events:
  - type: resilience.stock.counted.v1
    id: {template: "{Hub}-{Counted at}", slug: true}
    time: {column: Counted at}
    data: {hub_id: {column: Hub, slug: true}, item: tinned, quantity: {column: Tins}}
"""
    )
    checked = check_file(path, load_mapping(mapping))
    assert [event["time"] for event in checked.events] == ["2020-01-10T09:00:00+00:00"]
    assert checked.events[0]["id"] == "tolworth-hub-2020-01-10t09-00-00"
    (problem,) = checked.problems
    assert (problem.row, problem.column, problem.attribute) == (4, "Tins", "data.quantity")
    assert problem.reason == "must be an integer from 0 to 2,147,483,647"


def test_a_large_file_is_checked_chunk_by_chunk_in_a_second_process(tmp_path: Path) -> None:
    header, *sample = (EXAMPLES / "council-cases.csv").read_text().splitlines()
    lines = [header]
    for n in range(5000):
        line = sample[n % len(sample)].replace("CR-2020-01", f"CR-{n:04d}-", 1)
        if n in (1, 2600, 4998):  # file rows 3, 2602 and 5000: in three different chunks
            line = line.replace(",Y,", ",maybe,").replace(",N,", ",maybe,")
        lines.append(line)
    path = tmp_path / "cases.csv"
    path.write_text("\n".join(lines) + "\n")
    checked = check_file(path, load_mapping(COUNCIL_MAPPING))
    assert [(p.row, p.column) for p in checked.problems] == [
        (3, "Shielding"),
        (2602, "Shielding"),
        (5000, "Shielding"),
    ]
    # every 12 rows make 18 events (a closed case makes two): 416 × 18, then 8 rows making 13;
    # less those of the bad rows (a closed case, then two open ones)
    assert (checked.good_rows, len(checked.events)) == (4997, 416 * 18 + 13 - 2 - 1 - 1)
    assert len({event["id"] for event in checked.events}) == len(checked.events)
