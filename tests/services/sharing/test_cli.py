"""`tandem agreement add|list|revoke` and `tandem audit`, run as a user runs them."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from services.sharing.store import share_batch
from tests.support.servers import run_tandem
from tests.support.sharing_events import (
    COUNCIL,
    FOODBANK,
    MUTUAL_AID,
    RAISED,
    accept,
    register,
    request_event,
)

Runner = Callable[..., subprocess.CompletedProcess[str]]
ADD = (
    "agreement",
    "add",
    "--from",
    FOODBANK,
    "--to",
    COUNCIL,
    "--types",
    f"{RAISED},resilience.request.fulfilled.v1",
    "--fields",
    "request_id,need,area,volunteer_minutes",
    "--purpose",
    "plan food deliveries",
    "--pseudonymise",
    "--starts",
    "2020-03-01",
    "--review-by",
    "2020-09-01",
)


@pytest.fixture
def tandem(database_url: str, tmp_path: Path) -> Runner:
    with psycopg.connect(database_url) as conn:
        register(conn, FOODBANK, COUNCIL, MUTUAL_AID)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return run_tandem({"DATABASE_URL": database_url, "TANDEM_DATA_DIR": str(tmp_path)}, *args)

    return run


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def refused(result: subprocess.CompletedProcess[str], reason: str) -> None:
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.startswith("tandem: ") and result.stderr.count("\n") == 1
    assert reason in result.stderr, result.stderr


def test_add_list_revoke(tandem: Runner) -> None:
    added = ok(tandem(*ADD)).splitlines()
    agreement_id = added[-1]
    assert agreement_id.startswith("dsa-") and agreement_id in added[0]

    (listed,) = json.loads(ok(tandem("agreement", "list", "--format", "json")))
    assert listed["id"] == agreement_id
    assert listed["status"] == "due for review"  # its review date has passed
    assert (listed["from"], listed["to"], listed["pseudonymise"]) == (FOODBANK, COUNCIL, True)
    assert listed["fields"] == ["request_id", "need", "area", "volunteer_minutes"]
    assert listed["revoked_at"] is None
    table = ok(tandem("agreement", "list"))
    assert table.splitlines()[0].split()[:4] == ["ID", "STATUS", "FROM", "TO"]
    assert agreement_id in table and "pseudonymised" in table

    assert ok(tandem("agreement", "revoke", agreement_id)).startswith(
        f"agreement {agreement_id} revoked at "
    )
    (listed,) = json.loads(ok(tandem("agreement", "list", "--format", "json")))
    assert listed["status"] == "revoked" and listed["revoked_at"] is not None
    refused(tandem("agreement", "revoke", agreement_id), "was revoked")
    refused(tandem("agreement", "revoke", "dsa-none"), "no agreement 'dsa-none'")


@pytest.mark.parametrize(
    ("option", "value", "reason"),
    [
        ("--to", "nobody", "no partner 'nobody'"),
        ("--types", "resilience.request.raised", "unknown event type"),
        ("--fields", "request_id,address", "'address' is not a data field"),
        ("--review-by", "2020-02-01", "must be after the start date"),
        ("--review-by", "next year", "--review-by must be a date"),
    ],
)
def test_bad_agreements_are_refused_in_one_line(
    tandem: Runner, option: str, value: str, reason: str
) -> None:
    args = list(ADD)
    args[args.index(option) + 1] = value
    refused(tandem(*args), reason)


def test_an_overlapping_agreement_is_refused(tandem: Runner) -> None:
    first = ok(tandem(*ADD)).splitlines()[-1]
    refused(tandem(*ADD), f"agreement {first} already shares")


def test_audit_says_who_received_what_under_which_basis(tandem: Runner, database_url: str) -> None:
    agreement_id = ok(tandem(*ADD)).splitlines()[-1]
    with psycopg.connect(database_url) as conn:
        share_batch(
            conn,
            accept(
                conn,
                [
                    request_event("raised", "e-1", FOODBANK, 0),
                    request_event("raised", "e-2", FOODBANK, 1, request_id="req-2"),
                    request_event(
                        "referred", "e-3", FOODBANK, 2, request_id="req-2", to_partner=MUTUAL_AID
                    ),
                ],
            ),
        )

    entries = json.loads(ok(tandem("audit", "--partner", FOODBANK, "--format", "json")))
    assert {(e["recipient"], e["id"]) for e in entries} == {
        (COUNCIL, "e-1"),
        (COUNCIL, "e-2"),
        (MUTUAL_AID, "e-2"),
        (MUTUAL_AID, "e-3"),
    }
    for entry in entries:
        if entry["recipient"] == COUNCIL:
            assert (entry["agreement_id"], entry["purpose"]) == (
                agreement_id,
                "plan food deliveries",
            )
        else:
            assert (entry["referral_id"], entry["referred_by"]) == ("e-3", FOODBANK)

    table = ok(tandem("audit", "--partner", FOODBANK, "--request", "req-2")).splitlines()
    assert table[0].split() == [
        "SHARED",
        "AT",
        "RECIPIENT",
        "TYPE",
        "EVENT",
        "ID",
        "REQUEST",
        "BASIS",
    ]
    assert len(table) == 4
    assert any(f"agreement {agreement_id}: plan food deliveries" in line for line in table)
    assert any(f"referral by {FOODBANK} (event e-3)" in line for line in table)
    assert ok(tandem("audit", "--partner", MUTUAL_AID)) == "no shares\n"
    refused(tandem("audit", "--partner", "nobody"), "no partner 'nobody'")


def test_without_a_database_the_commands_fail_in_one_line(tmp_path: Path) -> None:
    env = {"TANDEM_DATA_DIR": str(tmp_path), "DATABASE_URL": ""}
    for args in (ADD, ("agreement", "list"), ("audit", "--partner", FOODBANK)):
        refused(run_tandem(env, *args), "no database")
