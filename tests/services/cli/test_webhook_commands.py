"""`tandem webhook add|status|remove|resume`, as an operator runs them."""

from __future__ import annotations

import subprocess
from pathlib import Path

import orjson
import psycopg

from services.store.partners import Partner, add_partner
from tests.support.servers import run_tandem

LOOPBACK = {"TANDEM_WEBHOOK_ALLOW_LOOPBACK": "1"}


def tandem(
    database_url: str, tmp_path: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return run_tandem(
        {"DATABASE_URL": database_url, "TANDEM_DATA_DIR": str(tmp_path / "data"), **(env or {})},
        *args,
    )


def test_add_status_resume_remove(database_url: str, tmp_path: Path) -> None:
    with psycopg.connect(database_url) as conn:
        add_partner(conn, Partner("surbiton-larder", "Surbiton Larder"))
    added = tandem(
        database_url,
        tmp_path,
        "webhook",
        "add",
        "--partner",
        "surbiton-larder",
        "--url",
        "http://127.0.0.1:8099/in",
        "--types",
        "resilience.request.raised.v1",
        "--from-cursor",
        "0",
        env=LOOPBACK,
    )
    assert added.returncode == 0, added.stderr
    *said, secret = added.stdout.splitlines()
    assert secret.startswith("whsec_")
    hook_id = said[0].split()[1]
    assert said[0].startswith(f"webhook {hook_id} added: surbiton-larder's inbox")

    status = tandem(database_url, tmp_path, "webhook", "status", "--format", "json")
    (shown,) = orjson.loads(status.stdout)
    assert (shown["id"], shown["status"], shown["cursor"], shown["waiting"]) == (
        hook_id,
        "delivering",
        "0",
        0,
    )
    assert secret not in status.stdout

    with psycopg.connect(database_url) as conn:
        conn.execute(
            "UPDATE webhooks SET parked_at = now(), attempts = 31, failing_since = now(),"
            " last_error = 'HTTP 503' WHERE id = %s",
            (hook_id,),
        )
    text = tandem(database_url, tmp_path, "webhook", "status", "--partner", "surbiton-larder")
    header, row = text.stdout.splitlines()
    assert header.split()[:4] == ["ID", "PARTNER", "STATUS", "CURSOR"]
    assert row.split()[:3] == [hook_id, "surbiton-larder", "parked"] and "HTTP 503" in row
    assert tandem(database_url, tmp_path, "webhook", "resume", hook_id).returncode == 0
    (resumed,) = orjson.loads(
        tandem(database_url, tmp_path, "webhook", "status", "--format", "json").stdout
    )
    assert (resumed["status"], resumed["attempts"]) == ("delivering", 0)

    assert tandem(database_url, tmp_path, "webhook", "remove", hook_id).returncode == 0
    assert tandem(database_url, tmp_path, "webhook", "status").stdout.strip() == "no webhooks"
    again = tandem(database_url, tmp_path, "webhook", "remove", hook_id)
    assert (again.returncode, again.stderr.strip()) == (1, f"tandem: no webhook '{hook_id}'")
    with psycopg.connect(database_url) as conn:
        kept = conn.execute("SELECT count(*) FROM sharing_private.webhook_secrets").fetchone()
    assert kept == (0,)  # the secret goes with the webhook


def test_refusals_are_one_line(database_url: str, tmp_path: Path) -> None:
    with psycopg.connect(database_url) as conn:
        add_partner(conn, Partner("surbiton-larder", "Surbiton Larder"))
    cases = [
        (
            ("--partner", "surbiton-larder", "--url", "http://127.0.0.1:8099/in"),
            {},
            "must be https",
        ),
        (
            ("--partner", "nobody", "--url", "http://127.0.0.1:8099/in"),
            LOOPBACK,
            "no partner 'nobody'",
        ),
        (
            ("--partner", "surbiton-larder", "--url", "https://192.168.0.10/in"),
            LOOPBACK,
            "private or reserved",
        ),
        (
            ("--partner", "surbiton-larder", "--url", "https://93.184.215.14/", "--types", "x.y"),
            {},
            "unknown event types: x.y",
        ),
    ]
    for args, env, reason in cases:
        done = tandem(database_url, tmp_path, "webhook", "add", *args, env=env)
        assert done.returncode == 1 and reason in done.stderr, done.stderr
        assert len(done.stderr.strip().splitlines()) == 1
