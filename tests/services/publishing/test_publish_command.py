"""`tandem publish` and `tandem mapping check`, run as a partner runs them, against the real
gateway and PostgreSQL."""

from __future__ import annotations

import subprocess
from datetime import datetime
from pathlib import Path

import orjson
from prometheus_client import REGISTRY

from services.settings import Settings
from tests.support.events_store import sample_event
from tests.support.partner_gateway import (
    COUNCIL,
    EXAMPLES,
    FOODBANK,
    PartnerGateway,
    partner_gateway,
)
from tests.support.publishing_files import (
    ATTRIBUTES,
    STOCK_DATA,
    as_columns,
    write_csv,
    write_xlsx,
)
from tests.support.servers import run_tandem

COUNCIL_FILES = (
    str(EXAMPLES / "council-cases.csv"),
    "--mapping",
    str(EXAMPLES / "council-cases.mapping.yaml"),
)
FOODBANK_FILES = (
    str(EXAMPLES / "foodbank-stock.xlsx"),
    "--mapping",
    str(EXAMPLES / "foodbank-stock.mapping.yaml"),
)


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def failed(result: subprocess.CompletedProcess[str], reason: str) -> str:
    assert result.returncode == 1, result.stdout
    assert result.stderr.startswith("tandem: ") and result.stderr.count("\n") == 1
    assert reason in result.stderr, result.stderr
    return result.stdout


def test_the_examples_publish_and_publish_again_as_duplicates(
    gateway: PartnerGateway, tmp_path: Path
) -> None:
    council = gateway.env(COUNCIL, tmp_path)
    assert ok(run_tandem(council, "publish", *COUNCIL_FILES)) == (
        "council-cases.csv: 18 events from 12 rows: 18 accepted, 0 duplicates\n"
    )
    foodbank = gateway.env(FOODBANK, tmp_path)
    assert ok(run_tandem(foodbank, "publish", *FOODBANK_FILES, "--batch-size", "10")) == (
        "foodbank-stock.xlsx: 68 events from 9 rows: 68 accepted, 0 duplicates\n"
    )
    stored = gateway.stored()
    assert len(stored) == 86
    assert {e["partner"] for e in stored[:18]} == {COUNCIL}
    assert stored[0]["data"]["priority"] == "urgent"  # "Urgent - same day", as the gateway keeps it

    assert ok(run_tandem(council, "publish", *COUNCIL_FILES)) == (
        "council-cases.csv: 18 events from 12 rows: 0 accepted, 18 duplicates\n"
    )
    assert len(gateway.stored()) == 86


def test_bad_rows_are_listed_and_nothing_is_sent(gateway: PartnerGateway, tmp_path: Path) -> None:
    lines = (EXAMPLES / "council-cases.csv").read_text().splitlines()
    lines[4] = lines[4].replace("Urgent - same day", "ASAP")
    lines[8] = lines[8].replace(",Old Malden,", ",,")
    bad = tmp_path / "cases.csv"
    bad.write_text("\n".join(lines) + "\n")
    council = gateway.env(COUNCIL, tmp_path)
    mapping = str(EXAMPLES / "council-cases.mapping.yaml")

    listed = failed(
        run_tandem(council, "publish", str(bad), "--mapping", mapping),
        "2 of 12 rows of cases.csv are invalid (listed above); nothing was sent",
    )
    assert [line.split(":")[0] for line in listed.splitlines()] == [
        'row 5, column "Priority" (data.priority)',
        'row 9, column "Ward" (data.area)',
    ]
    assert gateway.stored() == []

    checked = failed(run_tandem({}, "mapping", "check", str(bad), "--mapping", mapping), "2 bad")
    assert checked.splitlines()[:2] == listed.splitlines()
    assert checked.splitlines()[2] == (
        "cases.csv: 10 of 12 rows are good (14 events), 2 bad, 0 make no event"
    )
    assert gateway.stored() == []

    skipped = ok(run_tandem(council, "publish", str(bad), "--mapping", mapping, "--skip-invalid"))
    assert skipped.splitlines()[2] == (
        "cases.csv: 14 events from 10 rows: 14 accepted, 0 duplicates, 2 invalid rows skipped"
    )
    requests = {e["data"]["request_id"] for e in gateway.stored()}
    assert len(requests) == 10 and not requests & {"cr-2020-0104", "cr-2020-0108"}


def test_each_format(gateway: PartnerGateway, tmp_path: Path) -> None:
    foodbank = gateway.env(FOODBANK, tmp_path)
    events = [sample_event(n) for n in range(8)]
    json_file = tmp_path / "a.json"
    json_file.write_bytes(orjson.dumps(events[0:2]))
    ndjson_file = tmp_path / "b.ndjson"
    ndjson_file.write_bytes(b"\n".join(orjson.dumps(e) for e in events[2:4]))
    header = ATTRIBUTES + STOCK_DATA
    csv_file = write_csv(tmp_path / "c.csv", header, [as_columns(e) for e in events[4:6]])
    xlsx_file = write_xlsx(tmp_path / "d.xlsx", header, [as_columns(e) for e in events[6:8]])
    for path in (json_file, ndjson_file, csv_file, xlsx_file):
        assert ok(run_tandem(foodbank, "publish", str(path))).endswith(
            ": 2 events from 2 rows: 2 accepted, 0 duplicates\n"
        )
    stored = gateway.stored()
    assert [(e["id"], e["subject"], e["data"]) for e in stored] == [
        (e["id"], e["subject"], e["data"]) for e in events
    ]
    assert [datetime.fromisoformat(e["time"]) for e in stored] == [
        datetime.fromisoformat(str(e["time"])) for e in events
    ]


def test_over_the_rate_limit_it_waits_and_retries(settings: Settings, tmp_path: Path) -> None:
    # 10 events a second: two batches of 5 go through, the next two are told to come back
    slow = settings.model_copy(update={"partner_events_per_second": 10, "partner_burst_events": 10})
    refused = REGISTRY.get_sample_value("tandem_requests_rejected_total", {"status": "429"}) or 0
    with partner_gateway(slow) as gateway:
        result = run_tandem(
            gateway.env(COUNCIL, tmp_path), "publish", *COUNCIL_FILES, "--batch-size", "5"
        )
        assert ok(result).endswith(": 18 events from 12 rows: 18 accepted, 0 duplicates\n")
        assert len(gateway.stored()) == 18
    after = REGISTRY.get_sample_value("tandem_requests_rejected_total", {"status": "429"})
    assert after is not None and after > refused


def test_without_a_token(tmp_path: Path) -> None:
    env = {"TANDEM_TOKEN": "", "TANDEM_DATA_DIR": str(tmp_path)}
    failed(run_tandem(env, "publish", *COUNCIL_FILES), "no partner token")


def test_events_the_cloudevents_sdk_wrote_publish_with_what_they_added_settled(
    gateway: PartnerGateway, tmp_path: Path
) -> None:
    """An NDJSON file written by the SDK: `data` as `data_base64`, a kept extension and a
    dropped one, which the summary names."""
    from cloudevents.v1.conversion import to_json
    from cloudevents.v1.http import CloudEvent

    traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    events = [sample_event(n) for n in range(3)]
    written = [
        to_json(
            CloudEvent(
                {
                    **{k: v for k, v in e.items() if k != "data"},
                    "traceparent": traceparent,
                    "ownername": "J Doe",
                },
                orjson.dumps(e["data"]),  # bytes: the SDK writes data_base64
            )
        )
        for e in events
    ]
    assert all(b'"data_base64"' in line for line in written)
    sdk_file = tmp_path / "sdk.ndjson"
    sdk_file.write_bytes(b"\n".join(written))
    foodbank = gateway.env(FOODBANK, tmp_path)
    assert ok(run_tandem(foodbank, "publish", str(sdk_file))) == (
        "sdk.ndjson: 3 events from 3 rows: 3 accepted, 0 duplicates; extension attributes "
        "dropped from 3 events before they were stored: ownername\n"
    )
    untimed = [{k: v for k, v in e.items() if k != "time"} for e in gateway.stored()]
    assert untimed == [
        {**{k: v for k, v in e.items() if k != "time"}, "traceparent": traceparent} for e in events
    ]
