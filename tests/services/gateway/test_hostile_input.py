"""Hostile bodies the gateway must refuse cleanly: a 4xx naming the problem, nothing stored, a
dead letter kept, and the gateway still serving everyone else."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from services.settings import Settings
from tests.support.contract_fixtures import FIXTURE_DOCS
from tests.support.events_store import sample_event
from tests.support.gateway_http import BATCH, SINGLE, Gateway, gateway_for

DEPTH = 100_000
GOOD = json.dumps(sample_event(1)).encode()


def assert_refused(gateway: Gateway, response: httpx.Response, status: int) -> list[Any]:
    """`status`, every problem with its reason, nothing stored, the refusal kept."""
    assert response.status_code == status, response.text
    problems: list[Any] = response.json()["problems"]
    assert problems and all(problem["reason"] for problem in problems)
    assert gateway.stored_ids() == []
    assert [letter_status for letter_status, _ in gateway.dead_letters()] == [status]
    return problems


def in_data(value: bytes) -> bytes:
    """A good event whose `data` is `value`, spliced in as raw bytes."""
    return GOOD[: GOOD.index(b'"data": ') + 8] + value + b"}"


NESTED = {
    "arrays, as a batch": (b"[" * DEPTH + b"]" * DEPTH, BATCH),
    "objects, as one event": (b'{"a": ' * DEPTH + b"1" + b"}" * DEPTH, SINGLE),
    "arrays in an event's data": (in_data(b"[" * DEPTH + b"]" * DEPTH), SINGLE),
    "unclosed arrays": (b"[" * DEPTH, BATCH),
}


@pytest.mark.parametrize("body, media_type", NESTED.values(), ids=NESTED.keys())
def test_deeply_nested_json_is_refused_quickly(
    gateway: Gateway, body: bytes, media_type: str
) -> None:
    started = time.monotonic()
    response = gateway.post(body, media_type=media_type)
    assert time.monotonic() - started < 5
    assert_refused(gateway, response, 422)
    gateway.assert_serving()


def test_deeply_nested_binary_mode_data_is_refused(gateway: Gateway) -> None:
    event = sample_event(1)
    headers = {f"ce-{k}": str(v) for k, v in event.items() if k != "data"}
    body = b"[" * DEPTH + b"]" * DEPTH
    response = gateway.post(body, media_type="application/json", headers=headers)
    (problem,) = assert_refused(gateway, response, 422)
    assert problem["field"] == "data"
    gateway.assert_serving()


NOT_UTF8 = {
    "bytes that are never UTF-8": GOOD.replace(b"tinned", b"tin\xff\xfened"),
    "an overlong encoding": GOOD.replace(b"tinned", b"tin\xc0\xafned"),
    "a truncated sequence at the end": GOOD + b"\xe2\x82",
    "Latin-1 text": in_data(b'{"hub_id": "hub-1", "item": "caf\xe9"}'),
    "an escaped lone surrogate": GOOD.replace(b"tinned", b"tin\\ud800ned"),
}


@pytest.mark.parametrize("body", NOT_UTF8.values(), ids=NOT_UTF8.keys())
def test_invalid_utf8_is_refused(gateway: Gateway, body: bytes) -> None:
    (problem,) = assert_refused(gateway, gateway.post(body, media_type=SINGLE), 422)
    assert "JSON" in problem["reason"]
    gateway.assert_serving()


@pytest.mark.parametrize(
    "media_type",
    [
        "text/plain",
        "application/xml",
        "application/cloudevents+xml",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/octet-stream",
    ],
)
def test_unsupported_media_types(gateway: Gateway, media_type: str) -> None:
    (problem,) = assert_refused(gateway, gateway.post(GOOD, media_type=media_type), 415)
    assert "unsupported content type" in problem["reason"]


def test_a_batch_over_the_event_limit(settings: Settings) -> None:
    with gateway_for(settings.model_copy(update={"max_batch_events": 50})) as gateway:
        response = gateway.post([sample_event(n) for n in range(51)])
        (problem,) = assert_refused(gateway, response, 413)
        assert "50-event limit" in problem["reason"]
        assert gateway.post([sample_event(n) for n in range(50)]).status_code == 202


def test_a_streamed_body_over_the_limit_is_cut_off(settings: Settings) -> None:
    """No Content-Length to refuse it by: the gateway counts what arrives."""

    def chunks() -> Iterator[bytes]:
        yield b"[" + GOOD
        for _ in range(64):
            yield b"," + GOOD

    with gateway_for(settings.model_copy(update={"max_body_bytes": 4096})) as gateway:
        response = httpx.post(
            f"{gateway.url}/v1/events",
            content=chunks(),
            headers={"Authorization": f"Bearer {gateway.token}", "Content-Type": BATCH},
        )
        assert "transfer-encoding" in response.request.headers
        assert_refused(gateway, response, 413)
        gateway.assert_serving()


def unstorable(event_type: str, change: dict[str, Any]) -> dict[str, Any]:
    event = json.loads(json.dumps(FIXTURE_DOCS[event_type]["valid"][0]))
    for path, value in change.items():
        *parents, name = path.split(".")
        target = event
        for parent in parents:
            target = target[parent]
        target[name] = value
    return event


UNSTORABLE = {
    "a NUL in text": ("resilience.hub.status.v1", {"data.name": "Surbiton\x00Hub"}),
    "a quantity over PostgreSQL int": ("resilience.stock.counted.v1", {"data.quantity": 2**31}),
    "an offset of +20:00": ("resilience.stock.counted.v1", {"time": "2020-03-23T10:15:00+20:00"}),
}


@pytest.mark.parametrize("event_type, change", UNSTORABLE.values(), ids=UNSTORABLE.keys())
def test_values_the_store_or_figures_could_not_hold_are_refused(
    gateway: Gateway, event_type: str, change: dict[str, Any]
) -> None:
    """Each once answered 202 and then stopped every aggregator batch holding it, or 503 to
    every request committed with it."""
    (problem,) = assert_refused(gateway, gateway.post([unstorable(event_type, change)]), 422)
    assert problem["field"] == next(iter(change))


class SlowClient:
    """Sends `head` of a request, then the rest of `rest` one byte every `interval` seconds."""

    def __init__(self, gateway: Gateway, head: bytes, rest: bytes, interval: float) -> None:
        parts = urlsplit(gateway.url)
        self.sock = socket.create_connection((parts.hostname, parts.port))
        self.sock.settimeout(interval)
        self.sock.sendall(head)
        self.rest = rest

    def trickle(self, deadline: float) -> bytes:
        """What the gateway answered (b"" if it closed the connection without answering)."""
        with self.sock:
            for byte in self.rest:
                try:
                    answer = self.sock.recv(4096)
                except TimeoutError:
                    if time.monotonic() > deadline:
                        raise AssertionError("a trickled request was never cut off") from None
                    try:
                        self.sock.sendall(bytes([byte]))
                    except OSError:
                        return b""
                    continue
                except OSError:
                    return b""
                return answer
        raise AssertionError("the whole request went through a byte at a time")


def slow_clients(gateway: Gateway) -> list[SlowClient]:
    """Two trickling their body, one its headers, one sending nothing at all."""
    netloc = urlsplit(gateway.url).netloc
    head = (
        f"POST /v1/events HTTP/1.1\r\nHost: {netloc}\r\n"
        f"Authorization: Bearer {gateway.token}\r\nContent-Type: {SINGLE}\r\n"
        f"Content-Length: {len(GOOD)}\r\n\r\n"
    ).encode()
    return [
        SlowClient(gateway, head, GOOD, interval=1.0),
        SlowClient(gateway, head, GOOD, interval=1.0),
        SlowClient(gateway, head[:10], head[10:] + GOOD, interval=1.0),
        SlowClient(gateway, b"", b"\0" * 60, interval=60.0),
    ]


def test_requests_trickled_in_are_cut_off_without_holding_up_others(settings: Settings) -> None:
    with gateway_for(settings.model_copy(update={"read_seconds": 2.0})) as gateway:
        started = time.monotonic()
        answers: list[bytes] = []
        threads = [
            threading.Thread(target=lambda c=client: answers.append(c.trickle(started + 15)))
            for client in slow_clients(gateway)
        ]
        for thread in threads:
            thread.start()
        while any(thread.is_alive() for thread in threads):
            took = time.monotonic()
            gateway.assert_serving()
            assert time.monotonic() - took < 1.0
        for thread in threads:
            thread.join()
        assert time.monotonic() - started < 2.0 + 3.0
        assert len(answers) == 4
        assert all(answer == b"" or answer.startswith(b"HTTP/1.1 408") for answer in answers)
        assert all(alive.startswith("alive-") for alive in gateway.stored_ids())
