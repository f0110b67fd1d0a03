"""The router as it runs: faust worker process, real broker, real PostgreSQL; events published
over HTTP, stored, relayed to `events.accepted`; the shares come out through the feed over
HTTP and, via the relay, on the partner's own inbox topic."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import psycopg

from services.settings import Settings
from services.store.partners import Partner, add_partner
from services.streaming.topics import ensure_topics
from tests.support.partnership import FOODBANK, council_and_foodbank
from tests.support.raised_requests import council_raised
from tests.support.servers import running_gateway, service_process, wait_for
from tests.support.topics import read_topic

CHARITY = "age-uk-kingston"


def publish(url: str, token: str, event: dict[str, Any]) -> None:
    response = httpx.post(
        f"{url}/v1/events", json=event, headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    assert response.status_code == 202, response.text


def feed(url: str, token: str, after: str = "0") -> dict[str, Any]:
    response = httpx.get(
        f"{url}/v1/feed",
        params={"after": after, "wait": 5},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_shared_events_reach_the_feed_and_the_inbox_topic_minimised(
    settings: Settings, tmp_path: Path
) -> None:
    ensure_topics(settings)
    with psycopg.connect(settings.database_url) as conn:
        council, foodbank = council_and_foodbank(conn)
        charity = add_partner(conn, Partner(CHARITY, "Charity"))
    with (
        running_gateway(settings) as url,
        service_process("services.router", settings, tmp_path / "router.log"),
        service_process("services.relay", settings, tmp_path / "relay.log"),
    ):
        publish(url, council, council_raised(1))
        page = wait_for(lambda: (got := feed(url, foodbank))["events"] and got, 60, "a share")
        [event] = page["events"]
        assert event["id"] == "raised-1"
        assert set(event["data"]) == {"request_id", "need", "area", "person_ref"}
        assert event["data"]["person_ref"].startswith("pp-")  # a pseudonym, never the ref
        assert event["data"]["person_ref"] != "p-000001"
        assert feed(url, charity)["events"] == []  # no agreement, nothing shared

        publish(url, council, council_raised(2))
        more = wait_for(
            lambda: (got := feed(url, foodbank, page["cursor"]))["events"] and got, 60, ""
        )
        assert [e["id"] for e in more["events"]] == ["raised-2"]  # resumes: no gap, no repeat
        assert feed(url, foodbank, more["cursor"])["events"] == []

        on_topic = dict(read_topic(settings, f"partner.{FOODBANK}.inbox", 2))
        assert on_topic[b"r1"] == event  # keyed by subject, the same minimised event

    with running_gateway(settings) as restarted:  # the cursor outlives the gateway
        assert [e["id"] for e in feed(restarted, foodbank, page["cursor"])["events"]] == [
            "raised-2"
        ]
        assert feed(restarted, charity, page["cursor"])["events"] == []
