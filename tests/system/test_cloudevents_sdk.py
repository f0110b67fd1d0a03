"""The official CloudEvents SDK (`cloudevents` on PyPI) as a partner's client, on every way in:
HTTP structured, binary and batch, Kafka binary and structured, and Tandem's own Python client
given the SDK's objects; with and without extensions and `data_base64`. Checked at each step:
what the gateway answers, what the event store holds, what `events.accepted` carries, and what
a recipient's feed holds (never a dropped extension)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import httpx
import orjson
import psycopg
from cloudevents.core.bindings import http as core_http
from cloudevents.core.bindings import kafka as core_kafka
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent as CoreCloudEvent
from cloudevents.v1 import kafka as v1_kafka
from cloudevents.v1.conversion import to_binary, to_structured
from cloudevents.v1.http import CloudEvent
from kafka import KafkaProducer

from services.authority.person_refs import door_key, door_pseudonym
from services.client.publisher import Publisher
from services.settings import Settings
from services.streaming.topics import ACCEPTED, INBOUND, ensure_topics
from tests.support.partnership import COUNCIL, council_and_foodbank
from tests.support.raised_requests import raised_request
from tests.support.servers import running_gateway, service_process, wait_for
from tests.support.topics import read_records

T = TypeVar("T", dict[str, Any], list[Any])
RAISED = "resilience.request.raised.v1"
TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
SECRET = "J Doe, 07700 900123"
"""What a producer's own extension might carry: it must never be stored, published or shared."""
PRODUCERS_OWN = {"ownername": SECRET, "knativearrivaltime": "2020-04-01T09:00:00Z"}
PRODUCER_ONLY = ("partitionkey", "tracestate", "sequence")
"""Kept extensions that stay with the producer's event and never reach a recipient."""


def data(n: int) -> dict[str, Any]:
    return raised_request(f"sdk-r{n}", f"p-{n:06d}")


def attributes(n: int, extensions: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "id": f"sdk-{n}",
        "source": f"/orgs/{COUNCIL}/helpline",
        "type": RAISED,
        "time": f"2020-04-01T09:{n:02d}:00Z",
        "subject": f"sdk-r{n}",
        "datacontenttype": "application/json",
        "partner": COUNCIL,
        "incident": "covid-2020",
        **(extensions or {}),
    }


def sdk_event(
    n: int, extensions: dict[str, str] | None = None, *, as_bytes: bool = False
) -> CloudEvent:
    """The SDK's (v1 API) event; with `as_bytes` its data is JSON bytes, which the SDK sends
    in structured mode as `data_base64`."""
    payload: Any = orjson.dumps(data(n)) if as_bytes else data(n)
    return CloudEvent(attributes(n, extensions), payload)


def core_event(
    n: int, extensions: dict[str, str] | None = None, *, as_bytes: bool = False
) -> CoreCloudEvent:
    """The SDK's newer API (`cloudevents.core`), whose `time` is a datetime."""
    moment = datetime(2020, 4, 1, 9, n, tzinfo=UTC)
    payload: Any = orjson.dumps(data(n)) if as_bytes else data(n)
    return CoreCloudEvent({**attributes(n, extensions), "time": moment}, payload)


class Partners:
    def __init__(self, settings: Settings) -> None:
        with psycopg.connect(settings.require_database_url()) as conn:
            self.council, self.foodbank = council_and_foodbank(conn)


def post(url: str, token: str, headers: dict[str, str], body: bytes) -> dict[str, Any]:
    response = httpx.post(
        f"{url}/v1/events",
        content=body,
        headers={**headers, "Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert response.status_code == 202, response.text
    return dict(response.json())


def produce(settings: Settings, token: str, messages: list[Any]) -> None:
    """SDK Kafka messages (headers, key, value) to `events.inbound`, as a partner's producer."""
    producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap)
    for message in messages:
        key = message.key.encode() if isinstance(message.key, str) else message.key
        headers = [*message.headers.items(), ("authorization", f"Bearer {token}".encode())]
        producer.send(settings.topic(INBOUND), key=key, value=message.value, headers=headers)
    producer.flush()
    producer.close()


def stored_bodies(settings: Settings) -> dict[str, dict[str, Any]]:
    with psycopg.connect(settings.require_database_url()) as conn:
        rows = conn.execute("SELECT id, body FROM events").fetchall()
    return {str(event_id): orjson.loads(body) for event_id, body in rows}


def feed(url: str, token: str) -> list[dict[str, Any]]:
    response = httpx.get(
        f"{url}/v1/feed",
        params={"after": 0, "limit": 1000},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return list(response.json()["events"])


def all_of(got: T, count: int) -> T | None:
    return got if len(got) == count else None  # type: ignore[arg-type]


def test_the_sdk_on_every_way_in_keeps_documented_extensions_and_drops_the_rest(
    settings: Settings, tmp_path: Path
) -> None:
    ensure_topics(settings)
    partners = Partners(settings)
    kept: dict[str, dict[str, str]] = {}
    """Event id → the extensions it must be stored and published with."""
    dropped: dict[str, list[str]] = {}
    """Event id → the extensions it must have lost at the door."""

    def expect(n: int, keep: dict[str, str], drop: dict[str, str]) -> dict[str, str]:
        kept[f"sdk-{n}"] = keep
        if drop:
            dropped[f"sdk-{n}"] = sorted(drop)
        return {**keep, **drop}

    with (
        running_gateway(settings) as url,
        service_process("services.inbound", settings, tmp_path / "inbound.log"),
        service_process("services.relay", settings, tmp_path / "relay.log"),
        service_process("services.router", settings, tmp_path / "router.log"),
    ):
        council = partners.council

        # HTTP structured, without extensions, then with them and data as data_base64.
        expect(1, {}, {})
        headers, body = to_structured(sdk_event(1))
        assert post(url, council, headers, body) == {"accepted": 1, "duplicates": 0}
        both = expect(2, {"traceparent": TRACEPARENT, "partitionkey": "sdk-r2"}, PRODUCERS_OWN)
        headers, body = to_structured(sdk_event(2, both, as_bytes=True))
        assert b'"data_base64"' in body and b'"data"' not in body
        answer = {"accepted": 1, "duplicates": 0, "dropped": {"sdk-2": dropped["sdk-2"]}}
        assert post(url, council, headers, body) == answer
        again = {**answer, "accepted": 0, "duplicates": 1}
        assert post(url, council, headers, body) == again  # named again, stored once

        # HTTP binary: extensions as ce-* headers; the newer API percent-encodes their values.
        both = expect(3, {"traceparent": TRACEPARENT, "sequence": "0003"}, PRODUCERS_OWN)
        headers, body = to_binary(sdk_event(3, both))
        assert headers["ce-ownername"] == SECRET
        assert post(url, council, headers, body)["dropped"] == {"sdk-3": dropped["sdk-3"]}
        tracestate = "kfb=00f067aa0ba902b7, congo=t61rcWkgMzE"
        both = expect(4, {"traceparent": TRACEPARENT, "tracestate": tracestate}, PRODUCERS_OWN)
        message = core_http.to_binary(core_event(4, both), JSONFormat())
        assert message.headers["ce-tracestate"] != tracestate  # its space travels encoded
        assert post(url, council, message.headers, message.body)["dropped"] == {
            "sdk-4": dropped["sdk-4"]
        }

        # HTTP batch of the SDK's structured events, one with an extension, one base64.
        both = expect(5, {}, {"knativearrivaltime": "2020-04-01T09:05:00Z"})
        expect(6, {}, {})
        batch = [
            to_structured(sdk_event(5, both))[1],
            to_structured(sdk_event(6, as_bytes=True))[1],
        ]
        assert post(
            url,
            council,
            {"Content-Type": "application/cloudevents-batch+json"},
            b"[" + b",".join(batch) + b"]",
        ) == {"accepted": 2, "duplicates": 0, "dropped": {"sdk-5": ["knativearrivaltime"]}}

        # Tandem's client, handed the SDK's objects of either API as they are.
        with Publisher(url, council) as publisher:
            result = publisher.publish(
                [
                    sdk_event(7, expect(7, {"partitionkey": "p7"}, PRODUCERS_OWN)),
                    core_event(8, expect(8, {"traceparent": TRACEPARENT}, {}), as_bytes=True),
                ]
            )
        assert (result.accepted, result.duplicates) == (2, 0)
        assert result.dropped == {"sdk-7": dropped["sdk-7"]}

        # Kafka: binary (partitionkey travels as the record key alone) and structured.
        both = expect(9, {"partitionkey": "sdk-r9", "traceparent": TRACEPARENT}, PRODUCERS_OWN)
        binary = v1_kafka.to_binary(sdk_event(9, both))
        assert binary.key == "sdk-r9" and "ce_partitionkey" not in binary.headers
        both = expect(10, {"traceparent": TRACEPARENT}, PRODUCERS_OWN)
        structured = v1_kafka.to_structured(sdk_event(10, both, as_bytes=True))
        assert b'"data_base64"' in structured.value
        both = expect(11, {"partitionkey": "p11", "sequence": "11"}, {"ownername": SECRET})
        core_binary = core_kafka.to_binary(core_event(11, both), JSONFormat())
        expect(12, {}, {})
        plain = v1_kafka.to_binary(sdk_event(12))
        produce(settings, council, [binary, structured, core_binary, plain])

        stored = wait_for(
            lambda: all_of(stored_bodies(settings), len(kept)), 60, "every event stored"
        )
        records = read_records(settings, ACCEPTED, len(kept))
        shared = wait_for(
            lambda: all_of(feed(url, partners.foodbank), len(kept)),
            60,
            "every event shared with the foodbank",
        )

    assert sorted(stored) == sorted(kept)
    with psycopg.connect(str(settings.database_url)) as conn:
        key = door_key(conn)
    for event_id, body in stored.items():
        n = int(event_id.removeprefix("sdk-"))
        extensions = {name: body[name] for name in body if name not in attributes(n)}
        # The person goes in as the door's pseudonym, never as sent.
        at_the_door = {**data(n), "person_ref": door_pseudonym(key, COUNCIL, f"p-{n:06d}")}
        assert extensions == {**kept[event_id], "data": at_the_door}, event_id
    stored_text = orjson.dumps(stored)
    assert SECRET.encode() not in stored_text
    assert not any(name.encode() in stored_text for name in PRODUCERS_OWN)

    # The relay publishes the stored body as it is: the extensions kept, a traceparent as sent.
    published = {orjson.loads(r.value)["id"]: orjson.loads(r.value) for r in records}
    assert published == stored
    assert [e["traceparent"] for e in published.values() if "traceparent" in e] == [
        TRACEPARENT
    ] * sum("traceparent" in keep for keep in kept.values())

    # A recipient gets the trace context and nothing else the producer added.
    assert sorted(e["id"] for e in shared) == sorted(kept)
    for event in shared:
        assert event.get("traceparent") == kept[event["id"]].get("traceparent")
        assert not {*PRODUCER_ONLY, *PRODUCERS_OWN} & set(event)
    assert SECRET.encode() not in orjson.dumps(shared)
    for log in tmp_path.glob("*.log"):  # nor logged by the services it passed through
        assert SECRET not in log.read_text(), log.name


def test_names_the_spec_forbids_are_refused_and_nothing_is_stored(
    settings: Settings,
) -> None:
    partners = Partners(settings)
    with running_gateway(settings) as url:
        response = httpx.post(
            f"{url}/v1/events",
            content=to_structured(sdk_event(1, {"Owner_Name": "x"}))[1],
            headers={
                "Authorization": f"Bearer {partners.council}",
                "Content-Type": "application/cloudevents+json",
            },
            timeout=30,
        )
        headers, body = to_binary(sdk_event(2))
        binary = httpx.post(
            f"{url}/v1/events",
            content=body,
            headers={**headers, "ce-data": "{}", "Authorization": f"Bearer {partners.council}"},
            timeout=30,
        )
    assert response.status_code == 422
    [problem] = response.json()["problems"]
    assert (problem["id"], problem["field"]) == ("sdk-1", "owner_name")  # the SDK lower-cases
    assert "1 to 20 lower-case letters a-z or digits 0-9" in problem["reason"]
    assert binary.status_code == 422
    assert [p["field"] for p in binary.json()["problems"]] == ["data"]
    assert stored_bodies(settings) == {}


def test_the_openapi_description_says_what_may_be_added_and_what_is_dropped() -> None:
    from services.gateway.app import create_app

    document = create_app(Settings()).openapi()
    schemas = document["components"]["schemas"]
    raised = schemas["RequestRaisedEvent"]
    assert raised["properties"]["data_base64"]["contentSchema"] == raised["properties"]["data"]
    assert {"data_base64", "dataschema", "traceparent", "partitionkey"} <= set(raised["properties"])
    assert raised["oneOf"] == [{"required": ["data"]}, {"required": ["data_base64"]}]
    assert list(raised["patternProperties"]) == ["^[a-z0-9]{1,20}$"]
    accepted = schemas["Accepted"]
    assert accepted["required"] == ["accepted", "duplicates"]
    assert accepted["properties"]["dropped"]["additionalProperties"]["items"] == {"type": "string"}
