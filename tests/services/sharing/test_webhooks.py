"""The rules of webhook deliveries, without HTTP: the signature against the Standard Webhooks
reference vector, the retry schedule and parking at the end of the window."""

from __future__ import annotations

import base64
import itertools
import random
from datetime import UTC, datetime, timedelta

import pytest

from services.sharing.webhooks import (
    LONGEST_WAIT,
    body,
    failed,
    headers,
    shown_secret,
    signature,
    unknown_types,
    wait_before,
)

T = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
DAY = timedelta(hours=24)


def test_the_signature_is_the_standard_webhooks_reference_vector() -> None:
    # The example of the Standard Webhooks specification and its libraries' tests.
    secret = base64.b64decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    signed = signature(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, b'{"test": 2432232314}')
    assert signed == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    assert shown_secret(secret) == "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def test_a_delivery_is_a_structured_cloudevent_with_its_id_and_time_signed() -> None:
    event = {"specversion": "1.0", "id": "e-1", "type": "resilience.request.raised.v1"}
    content = body(event)
    sent = headers(bytes(32), "wh-1.7", 1_700_000_000, content)
    assert sent["content-type"] == "application/cloudevents+json"
    assert (sent["webhook-id"], sent["webhook-timestamp"]) == ("wh-1.7", "1700000000")
    assert sent["webhook-signature"] == signature(bytes(32), "wh-1.7", 1_700_000_000, content)
    assert sent["webhook-signature"] != signature(bytes(32), "wh-1.8", 1_700_000_000, content)


def test_retries_double_with_jitter_up_to_an_hour() -> None:
    rng = random.Random(7)
    for attempt in range(1, 40):
        ceiling = min(timedelta(seconds=2 ** (attempt - 1)), LONGEST_WAIT)
        for _ in range(20):
            wait = wait_before(attempt, rng)
            assert ceiling / 2 <= wait <= ceiling
    waits = {wait_before(5, rng) for _ in range(20)}
    assert len(waits) > 10  # jittered, not one fixed pause


def test_a_failing_delivery_is_retried_until_the_window_ends_then_parked() -> None:
    rng = random.Random(1)
    state = failed(None, "HTTP 500", T, DAY, rng)
    assert (state.attempts, state.since, state.parked) == (1, T, False)
    assert state.next_attempt_at is not None and T < state.next_attempt_at <= T + timedelta(
        seconds=1
    )
    attempts = [state]
    while not state.parked:
        assert state.next_attempt_at is not None
        state = failed(state, "timeout", state.next_attempt_at, DAY, rng)
        attempts.append(state)
    # Retried through the window, never past it, the last try at its very end.
    assert all(a.since == T for a in attempts)
    assert attempts[-2].next_attempt_at == T + DAY
    assert 20 < state.attempts < 50 and state.error == "timeout"
    tries = [a.next_attempt_at for a in attempts if a.next_attempt_at is not None]
    assert max(later - earlier for earlier, later in itertools.pairwise(tries)) <= LONGEST_WAIT


@pytest.mark.parametrize("window", [timedelta(minutes=5), DAY])
def test_the_window_counts_from_the_first_failure(window: timedelta) -> None:
    rng = random.Random(3)
    first = failed(None, "HTTP 502", T, window, rng)
    assert not failed(first, "HTTP 502", T + window - timedelta(seconds=1), window, rng).parked
    assert failed(first, "HTTP 502", T + window, window, rng).parked


def test_a_receiver_saying_gone_parks_at_once() -> None:
    assert failed(None, "HTTP 410", T, DAY, random.Random(), gone=True).parked


def test_types_must_be_event_types() -> None:
    assert unknown_types(None) is None
    assert unknown_types(("resilience.request.raised.v1",)) is None
    assert unknown_types(("resilience.request.raised.v1", "nope")) == "unknown event types: nope"
