"""A partner sees what it was refused, over HTTP and Kafka alike, at `GET /v1/refusals` and with
`tandem refusals`: its own refusals only, with their reasons, resumable; never another's."""

from __future__ import annotations

import hashlib
from typing import Any

import httpx
import orjson
import psycopg
from kafka import KafkaProducer

from services.inbound.writer import InboundWriter
from services.settings import Settings
from services.store.partners import rotate_token
from services.streaming.kafka_transport import BatchConsumer
from services.streaming.topics import INBOUND, ensure_topics
from tests.support.events_store import sample_event
from tests.support.gateway_http import SINGLE, Gateway
from tests.support.servers import run_tandem, wait_for

COUNCIL_EVENT = {**sample_event(9), "partner": "rbk-council", "source": "/orgs/rbk-council/s"}


def bad_quantity(n: int) -> dict[str, Any]:
    event = sample_event(n)
    event["data"] = {**event["data"], "quantity": -1}  # type: ignore[dict-item]
    return event


def refusals(gateway: Gateway, token: str, after: int = 0) -> dict[str, Any]:
    response = httpx.get(
        f"{gateway.url}/v1/refusals",
        params={"after": after},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    assert token.split("_", 2)[2] not in response.text
    return answer


def refuse_on_kafka(settings: Settings, messages: list[tuple[bytes, list[Any]]]) -> None:
    """Produce `messages` (value, headers) to `events.inbound` and have the inbound service's
    writer take them in, until as many dead letters as messages are kept."""
    producer = KafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap, max_request_size=1024 * 1024
    )
    for value, headers in messages:
        producer.send(settings.topic(INBOUND), value=value, headers=headers, partition=0)
    producer.flush()
    producer.close()
    with psycopg.connect(settings.require_database_url()) as conn:
        consumer = BatchConsumer(settings, conn, "inbound", INBOUND, InboundWriter(), relayed=False)

        def written() -> bool:
            consumer.poll_once(timeout_ms=200)
            row = conn.execute("SELECT count(*) FROM dead_letters").fetchone()
            conn.commit()
            return row == (len(messages),)

        try:
            wait_for(written, what="every message refused")
        finally:
            consumer.close()


def digest(body: bytes) -> tuple[int, str]:
    return len(body), hashlib.sha256(body).hexdigest()


def test_a_partner_sees_its_own_http_refusals_with_reasons_and_resumes(gateway: Gateway) -> None:
    invalid = orjson.dumps(bad_quantity(1))
    as_council = orjson.dumps([COUNCIL_EVENT])
    binary = {f"ce-{k}": str(v) for k, v in sample_event(3).items() if k != "data"}
    assert gateway.post(invalid, media_type=SINGLE).status_code == 422
    assert gateway.post(as_council).status_code == 403  # published in the council's name
    assert gateway.post(b"[", media_type="application/json", headers=binary).status_code == 422
    council_refused = orjson.dumps([COUNCIL_EVENT, bad_quantity(4)])
    assert gateway.post(council_refused, token=gateway.other_token).status_code == 422

    own = refusals(gateway, gateway.token)
    seen = own["refusals"]
    assert [r["status"] for r in seen] == [422, 403, 422]
    assert {r["channel"] for r in seen} == {"http"}
    assert [(r["size"], r["sha256"]) for r in seen] == [
        digest(invalid),
        digest(as_council),
        digest(b"["),
    ]
    assert "quantity" in {p["field"].split(".")[-1] for p in seen[0]["problems"]}
    assert "rbk-council" in seen[1]["problems"][0]["reason"]
    assert own["cursor"] == seen[-1]["cursor"]
    cursors = [int(r["cursor"]) for r in seen]
    assert cursors == sorted(cursors)

    # Resumed after the second: only the third; after the last: nothing, the cursor kept.
    assert refusals(gateway, gateway.token, cursors[1])["refusals"] == seen[2:]
    assert refusals(gateway, gateway.token, cursors[2]) == {
        "refusals": [],
        "cursor": str(cursors[2]),
    }

    # The council sees its own refusal only, never the foodbank's.
    (council,) = refusals(gateway, gateway.other_token)["refusals"]
    assert (council["status"], council["size"]) == (422, len(council_refused))
    assert int(council["cursor"]) not in cursors

    anonymous = httpx.get(f"{gateway.url}/v1/refusals", timeout=10)
    assert anonymous.status_code == 401


def test_refused_kafka_messages_are_seen_by_their_partner_alone(
    gateway: Gateway, settings: Settings
) -> None:
    ensure_topics(settings)
    own = [("authorization", f"Bearer {gateway.token}".encode())]
    structured = orjson.dumps(bad_quantity(1))
    event = bad_quantity(2)
    binary_headers = [(f"ce_{k}", str(v).encode()) for k, v in event.items() if k != "data"]
    binary = orjson.dumps(event["data"])
    big = orjson.dumps({**sample_event(3), "data": {"note": "x" * 200_000}})
    messages = [
        (structured, [*own, ("content-type", b"application/cloudevents+json")]),
        (binary, [*own, *binary_headers, ("content-type", b"application/json")]),
        (big, own),
        (orjson.dumps(sample_event(4)), [("authorization", b"Bearer tdm_nobody_secret")]),
    ]
    refuse_on_kafka(settings, messages)
    with psycopg.connect(settings.require_database_url()) as conn:
        kept = conn.execute(
            "SELECT max(octet_length(payload)), max(size) FROM dead_letters"
        ).fetchone()
    assert kept == (64 * 1024, len(big))

    seen = refusals(gateway, gateway.token)["refusals"]
    assert [(r["channel"], r["status"]) for r in seen] == [("kafka", 422)] * 3
    assert [(r["size"], r["sha256"]) for r in seen] == [
        digest(structured),
        digest(binary),
        digest(big),
    ]
    # The council sees none of them; the message with no valid token is nobody's to see.
    assert refusals(gateway, gateway.other_token)["refusals"] == []


def test_a_partner_producing_with_a_replaced_token_sees_the_refusal(
    gateway: Gateway, settings: Settings
) -> None:
    """A Kafka producer gets no answer: the partner whose token id it was learns of it here."""
    ensure_topics(settings)
    with psycopg.connect(settings.require_database_url()) as conn:
        current = rotate_token(conn, "rbk-council", keep_old=False)
    old, forged = gateway.other_token, gateway.other_token[:-4] + "abcd"
    value = orjson.dumps(COUNCIL_EVENT)
    refuse_on_kafka(
        settings,
        [(value, [("authorization", f"Bearer {token}".encode())]) for token in (old, forged)],
    )
    seen = refusals(gateway, current)["refusals"]
    assert [(r["channel"], r["status"]) for r in seen] == [("kafka", 401)] * 2
    assert "revoked or replaced" in seen[0]["problems"][0]["reason"]
    assert refusals(gateway, gateway.token)["refusals"] == []  # the foodbank sees none


def test_tandem_refusals_shows_what_the_partner_sees(gateway: Gateway) -> None:
    for n in range(3):
        assert gateway.post(orjson.dumps(bad_quantity(n)), media_type=SINGLE).status_code == 422
    assert gateway.post([bad_quantity(9)], token=gateway.other_token).status_code in (403, 422)
    env = {"DATABASE_URL": gateway.database_url}
    seen = refusals(gateway, gateway.token)["refusals"]

    listed = run_tandem(env, "refusals", "--partner", "kingston-foodbank", "--format", "json")
    assert listed.returncode == 0, listed.stderr
    assert orjson.loads(listed.stdout) == seen

    after = seen[0]["cursor"]
    resumed = run_tandem(env, "refusals", "--partner", "kingston-foodbank", "--after", after)
    lines = resumed.stdout.splitlines()
    assert [line.split()[0] for line in lines] == [r["cursor"] for r in seen[1:]]
    assert all(" http  422 " in line and "quantity" in line for line in lines)

    unknown = run_tandem(env, "refusals", "--partner", "nobody")
    assert unknown.returncode == 1 and unknown.stderr.strip() == "tandem: no partner 'nobody'"
