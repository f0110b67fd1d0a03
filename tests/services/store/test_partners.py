"""Partner tokens: rotation and revocation, through the CLI and at the gateway."""

from __future__ import annotations

import logging
import subprocess
from typing import Any

import httpx
import orjson
import psycopg

from services.settings import Settings
from services.store.partners import Partner, add_partner
from tests.support.events_store import sample_event
from tests.support.servers import run_tandem, running_gateway


def tandem(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    return run_tandem({"DATABASE_URL": str(settings.database_url)}, *args)


def publish(settings: Settings, token: str, n: int) -> int:
    """The status of one event through a freshly started gateway (no verified-token cache)."""
    with running_gateway(settings) as url:
        return httpx.post(
            f"{url}/v1/events",
            content=orjson.dumps([sample_event(n)]),
            headers={
                "Authorization": f"Bearer {token}",
                "Content-Type": "application/cloudevents-batch+json",
            },
        ).status_code


def test_rotation_replaces_the_token_and_revocation_locks_the_partner_out(
    settings: Settings,
) -> None:
    with psycopg.connect(settings.database_url) as conn:
        first = add_partner(conn, Partner("kingston-foodbank", "Kingston Foodbank"))
    rotated = tandem(settings, "partner", "rotate", "kingston-foodbank")
    assert rotated.returncode == 0, rotated.stderr
    second = rotated.stdout.strip().splitlines()[-1]
    assert second.startswith("tdm_") and second != first
    assert publish(settings, first, 1) == 401
    assert publish(settings, second, 2) == 202

    kept = tandem(settings, "partner", "rotate", "kingston-foodbank", "--keep-old")
    third = kept.stdout.strip().splitlines()[-1]
    assert publish(settings, second, 3) == 202 and publish(settings, third, 4) == 202

    revoked = tandem(settings, "partner", "revoke", "kingston-foodbank")
    assert revoked.returncode == 0 and "2 token(s)" in revoked.stdout
    assert publish(settings, second, 5) == 401 and publish(settings, third, 6) == 401

    unknown = tandem(settings, "partner", "rotate", "nobody")
    assert unknown.returncode == 1 and unknown.stderr.strip() == "tandem: no partner 'nobody'"


def test_no_token_and_no_person_ref_reach_the_logs(settings: Settings, caplog: Any) -> None:
    caplog.set_level(logging.DEBUG)
    with psycopg.connect(settings.database_url) as conn:
        token = add_partner(conn, Partner("rbk-council", "Council"))
    event = {
        "specversion": "1.0",
        "id": "call-1",
        "source": "/orgs/rbk-council/helpline",
        "type": "resilience.request.raised.v1",
        "time": "2020-04-01T09:00:00Z",
        "subject": "r-1",
        "partner": "rbk-council",
        "incident": "covid-2020",
        "data": {
            "request_id": "r-1",
            "need": "food",
            "priority": "urgent",
            "area": "tolworth",
            "household_size": 1,
            "shielding": True,
            "channel": "helpline",
            "person_ref": "p-secret-person",
        },
    }
    bad = {**event, "id": "call-2", "data": {**event["data"], "need": "rocket"}}
    with running_gateway(settings) as url:
        for body, auth in (([event], token), ([bad], token), ([event], token + "x")):
            httpx.post(
                f"{url}/v1/events",
                content=orjson.dumps(body),
                headers={
                    "Authorization": f"Bearer {auth}",
                    "Content-Type": "application/cloudevents-batch+json",
                },
            )
    logged = "\n".join(record.getMessage() + repr(vars(record)) for record in caplog.records)
    assert caplog.records  # the gateway did log
    secret = token.split("_", 2)[2]
    assert secret not in logged
    assert "p-secret-person" not in logged
