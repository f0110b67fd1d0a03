"""The Python client, sync and async: against the real gateway, and against a stub that
answers what the test scripts (429 with Retry-After, 503, 422) to pin the retry policy."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import orjson
import pytest

from infra.broker import free_port
from schemas import ContractError
from schemas.hubs import StockCounted
from schemas.requests import RequestRaised
from services.client.publisher import (
    AsyncPublisher,
    Backoff,
    Publisher,
    PublishRefused,
    PublishResult,
    envelope,
    next_step,
)
from services.settings import Settings
from tests.support.partner_gateway import COUNCIL, FOODBANK, PartnerGateway, partner_gateway
from tests.support.paths import ROOT

QUICK = Backoff(attempts=3, first=0.01)
T0 = datetime(2020, 4, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def gateway(settings: Settings) -> Iterator[PartnerGateway]:
    with partner_gateway(settings) as running:
        yield running


def counts(n: int) -> list[Any]:
    return [
        envelope(
            StockCounted(hub_id=f"hub-{i % 4}", item="tinned", quantity=i),
            id=f"count-{i}",
            time=T0 + timedelta(minutes=i),
            partner=FOODBANK,
            system="stock-sheet",
            incident="covid-2020",
        )
        for i in range(n)
    ]


def test_envelope_builds_a_contract_event_from_a_payload_model() -> None:
    raised = envelope(
        RequestRaised(
            request_id="r-1",
            need="food",
            priority="urgent",
            area="norbiton",
            household_size=2,
            shielding=False,
            channel="helpline",
        ),
        id="call-1",
        time=T0,
        partner=COUNCIL,
        system="helpline",
        incident="covid-2020",
    )
    assert (raised.type, raised.subject, raised.source) == (
        "resilience.request.raised.v1",
        "r-1",
        "/orgs/rbk-council/helpline",
    )
    with pytest.raises(ContractError, match="subject"):
        envelope(
            StockCounted(hub_id="hub-1", item="dry", quantity=1),
            id="c",
            time=T0,
            partner=FOODBANK,
            system="sheet",
            incident="covid-2020",
            subject="hub-2",
        )


def test_sync_publisher_batches_and_counts_duplicates(gateway: PartnerGateway) -> None:
    events = counts(25)
    seen: list[int] = []
    with Publisher(gateway.url, gateway.tokens[FOODBANK], batch_size=10) as publisher:
        first = publisher.publish(events, progress=lambda done: seen.append(done.events))
        # models and dicts, even in one batch
        as_dicts = [orjson.loads(e.model_dump_json(by_alias=True)) for e in events[15:]]
        again = publisher.publish(events[:15] + as_dicts)
    assert (first.accepted, first.duplicates, seen) == (25, 0, [10, 10, 5])
    assert (again.accepted, again.duplicates) == (0, 25)
    assert [e["id"] for e in gateway.stored()] == [f"count-{i}" for i in range(25)]


def test_async_publisher_sends_batches_at_once(gateway: PartnerGateway) -> None:
    events = counts(2000)

    async def publish() -> PublishResult:
        async with AsyncPublisher(
            gateway.url, gateway.tokens[FOODBANK], batch_size=100, concurrency=4
        ) as publisher:
            return await publisher.publish(events)

    result = asyncio.run(publish())
    assert (result.accepted, result.duplicates) == (2000, 0)
    assert sorted(e["id"] for e in gateway.stored()) == sorted(f"count-{i}" for i in range(2000))


def test_a_refused_batch_says_what_was_published_before_it(gateway: PartnerGateway) -> None:
    events: list[Any] = counts(4)
    events.append({**orjson.loads(events[0].model_dump_json()), "id": "bad", "partner": "x"})
    with (
        Publisher(gateway.url, gateway.tokens[FOODBANK], batch_size=2) as publisher,
        pytest.raises(PublishRefused) as refused,
    ):
        publisher.publish(events)
    assert refused.value.status == 422
    assert refused.value.published == PublishResult(4, 0)
    assert len(gateway.stored()) == 4


class Script:
    """A stub gateway: answers each POST with the next scripted (status, headers) and records
    the bodies it was sent."""

    def __init__(self, answers: list[tuple[int, dict[str, str]]]) -> None:
        self.answers = answers
        self.bodies: list[bytes] = []
        self.times: list[float] = []


@pytest.fixture
def stub() -> Iterator[tuple[str, Script]]:
    script = Script([])

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            script.bodies.append(self.rfile.read(int(self.headers["Content-Length"])))
            script.times.append(time.monotonic())
            status, headers = script.answers.pop(0)
            count = len(orjson.loads(script.bodies[-1]))
            body = orjson.dumps({"accepted": count, "duplicates": 0} if status == 202 else {})
            self.send_response(status)
            for name, value in {**headers, "Content-Length": str(len(body))}.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", script
    server.shutdown()
    thread.join(5)


def retried(script: Script) -> None:
    script.answers[:] = [(429, {"Retry-After": "0.3"}), (503, {}), (202, {})]


def test_sync_retries_429_after_retry_after_then_5xx(stub: tuple[str, Script]) -> None:
    url, script = stub
    retried(script)
    with Publisher(url, "t", backoff=QUICK) as publisher:
        result = publisher.publish([{"id": "a"}, {"id": "b"}])
    assert result == PublishResult(2, 0)
    assert len(set(script.bodies)) == 1 and len(script.bodies) == 3  # the same batch, thrice
    assert script.times[1] - script.times[0] >= 0.3  # waited as long as it was told
    assert script.times[2] - script.times[1] < 0.3  # then backed off from `first`


def test_async_retries_429_after_retry_after_then_5xx(stub: tuple[str, Script]) -> None:
    url, script = stub
    retried(script)

    async def publish() -> PublishResult:
        async with AsyncPublisher(url, "t", backoff=QUICK) as publisher:
            return await publisher.publish([{"id": "a"}, {"id": "b"}])

    assert asyncio.run(publish()) == PublishResult(2, 0)
    assert len(script.bodies) == 3 and script.times[1] - script.times[0] >= 0.3


def test_retries_stop_after_the_last_attempt(stub: tuple[str, Script]) -> None:
    url, script = stub
    script.answers[:] = [(503, {})] * QUICK.attempts
    with Publisher(url, "t", backoff=QUICK) as publisher, pytest.raises(PublishRefused) as failed:
        publisher.publish([{"id": "a"}])
    assert failed.value.status == 503 and len(script.bodies) == QUICK.attempts


@pytest.mark.parametrize(
    ("status", "headers", "attempt", "step"),
    [
        (429, {"Retry-After": "3"}, 1, 3.0),
        (429, {}, 2, 0.4),
        (500, {}, 4, 1.6),
        (503, {"Retry-After": "soon"}, 7, 10.0),
    ],
)
def test_next_step_waits(status: int, headers: dict[str, str], attempt: int, step: float) -> None:
    assert next_step(httpx.Response(status, headers=headers), attempt, Backoff()) == step


@pytest.mark.parametrize(("status", "attempt"), [(400, 1), (401, 1), (403, 1), (429, 8)])
def test_next_step_gives_up(status: int, attempt: int) -> None:
    with pytest.raises(PublishRefused):
        next_step(httpx.Response(status, json={"error": "no"}), attempt, Backoff())


def test_a_lost_connection_is_retried_then_raised() -> None:
    lost = httpx.ReadError("reset")
    assert next_step(lost, 1, Backoff()) == 0.2
    with pytest.raises(httpx.ReadError):
        next_step(lost, 8, Backoff())


@pytest.mark.parametrize("error", [httpx.ConnectError("refused"), httpx.ConnectTimeout("slow")])
def test_a_gateway_not_running_is_raised_at_once_unless_asked_to_wait(
    error: httpx.TransportError,
) -> None:
    with pytest.raises(type(error)):
        next_step(error, 1, Backoff())
    waiting = Backoff(connect_for=1.0)
    assert next_step(error, 1, waiting, elapsed=0.0) == 0.2
    assert next_step(error, 3, waiting, elapsed=0.9) == pytest.approx(0.1)  # ends on time
    with pytest.raises(type(error)):
        next_step(error, 20, waiting, elapsed=1.0)


def test_the_client_says_at_once_that_nothing_listens() -> None:
    started = time.monotonic()
    nobody = f"http://127.0.0.1:{free_port()}"
    with Publisher(nobody, "t") as publisher, pytest.raises(httpx.ConnectError):
        publisher.publish([{"id": "a"}])
    assert time.monotonic() - started < 1


def test_the_readme_example_runs(gateway: PartnerGateway, monkeypatch: pytest.MonkeyPatch) -> None:
    readme = (ROOT / "README.md").read_text()
    blocks = [block.split("```")[0] for block in readme.split("```python\n")[1:]]
    (example,) = [block for block in blocks if "envelope(" in block]
    printed: list[tuple[object, ...]] = []
    # The snippet is complete: its token comes from the environment, as the README says.
    monkeypatch.setenv("TANDEM_TOKEN", gateway.tokens[COUNCIL])
    scope = {"print": lambda *shown: printed.append(shown)}
    exec(example.replace("http://127.0.0.1:8080", gateway.url), scope)
    assert printed == [(1, 0)]
    (stored,) = gateway.stored()
    assert (stored["id"], stored["subject"]) == ("call-0042", "r-0042")


def test_sdk_events_of_either_api_are_sent_as_the_sdk_writes_them() -> None:
    from cloudevents.core.v1.event import CloudEvent as CoreCloudEvent
    from cloudevents.v1.http import CloudEvent

    from services.client.publisher import encode_batch

    attributes = {
        "id": "count-1",
        "source": f"/orgs/{FOODBANK}/stock-sheet",
        "type": "resilience.stock.counted.v1",
        "subject": "hub-1",
        "partner": FOODBANK,
        "incident": "covid-2020",
        "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    }
    data = {"hub_id": "hub-1", "item": "tinned", "quantity": 4}
    legacy = CloudEvent({**attributes, "time": "2020-04-01T09:00:00Z"}, data)
    core = CoreCloudEvent({**attributes, "id": "count-2", "time": T0}, orjson.dumps(data))
    body = orjson.loads(encode_batch([legacy, core, {**attributes, "id": "x"}]))
    assert [event["id"] for event in body] == ["count-1", "count-2", "x"]
    assert body[0]["data"] == data and "data_base64" in body[1] and "data" not in body[1]
    assert all(event["traceparent"] == attributes["traceparent"] for event in body)
    assert body[1]["time"] == "2020-04-01T09:00:00Z"


def test_results_add_up_what_was_dropped() -> None:
    result = PublishResult()
    result.add(PublishResult(1, 0, {"a": ["x"]}))
    result.add(PublishResult(1, 1, {"a": ["w"], "b": ["y"]}))
    assert result == PublishResult(2, 1, {"a": ["w", "x"], "b": ["y"]})
    reply = httpx.Response(202, json={"accepted": 1, "duplicates": 0, "dropped": {"a": ["x"]}})
    assert next_step(reply, 1, QUICK) == PublishResult(1, 0, {"a": ["x"]})
    assert next_step(httpx.Response(202, json={"accepted": 1, "duplicates": 0}), 1, QUICK) == (
        PublishResult(1, 0)
    )
