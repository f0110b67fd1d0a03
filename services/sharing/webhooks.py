"""The rules of webhook deliveries, as plain functions: what is sent, how it is signed, when a
failed delivery is tried again and when its webhook is parked.

A delivery is one inbox event, POSTed as a CloudEvent in structured mode (the JSON the feed
gives), signed as Standard Webhooks (https://www.standardwebhooks.com/) sign: `webhook-id` (the
delivery id, the same on every retry, for the receiver to drop a repeat), `webhook-timestamp`
(Unix seconds) and `webhook-signature`, `v1,` and the base64 HMAC-SHA256, under the webhook's
secret, of `id.timestamp.body`. A webhook's secret is shown as `whsec_` and its base64, which
the Standard Webhooks libraries take as it is.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import random
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson

from schemas.bindings import STRUCTURED
from schemas.events import EVENT_TYPES

SECRET_PREFIX = "whsec_"
FIRST_RETRY = timedelta(seconds=1)
LONGEST_WAIT = timedelta(hours=1)
"""Retries double from a second up to an hour apart: a receiver back within minutes gets its
events within seconds of that, and one down for a day is tried about thirty times."""
GONE = 410
"""A receiver that answers 410 Gone says the endpoint is no more (as Standard Webhooks has it):
its webhook is parked at once rather than tried for a day."""


def new_secret() -> bytes:
    return secrets.token_bytes(32)


def shown_secret(secret: bytes) -> str:
    return SECRET_PREFIX + base64.b64encode(secret).decode()


def unknown_types(types: tuple[str, ...] | None) -> str | None:
    """Why a webhook cannot be limited to `types`, or None when every one is an event type."""
    unknown = [kind for kind in types or () if kind not in EVENT_TYPES]
    return f"unknown event types: {', '.join(unknown)}" if unknown else None


def delivery_id(webhook_id: str, seq: int) -> str:
    """The same for every attempt at one inbox event through one webhook."""
    return f"{webhook_id}.{seq}"


def body(event: Mapping[str, Any]) -> bytes:
    return orjson.dumps(event)


def signature(secret: bytes, delivery: str, timestamp: int, content: bytes) -> str:
    signed = f"{delivery}.{timestamp}.".encode() + content
    digest = hmac.new(secret, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(secret: bytes, delivery: str, timestamp: int, content: bytes) -> dict[str, str]:
    """The headers of one delivery of `content`, signed at `timestamp`."""
    return {
        "content-type": STRUCTURED,
        "webhook-id": delivery,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(secret, delivery, timestamp, content),
    }


@dataclass(frozen=True)
class Failing:
    """What a webhook's next event has met: `attempts` failures since `since`, the last one's
    reason, and when to try again (None once parked)."""

    attempts: int
    since: datetime
    error: str
    next_attempt_at: datetime | None

    @property
    def parked(self) -> bool:
        return self.next_attempt_at is None


def wait_before(attempt: int, rng: random.Random) -> timedelta:
    """How long to wait after the `attempt`-th failure (from 1): doubling, capped, and drawn
    between half and all of that, so receivers that fail together are not retried together."""
    ceiling: timedelta = min(FIRST_RETRY * 2 ** min(attempt - 1, 32), LONGEST_WAIT)
    return ceiling * rng.uniform(0.5, 1.0)


def failed(
    before: Failing | None,
    error: str,
    now: datetime,
    window: timedelta,
    rng: random.Random,
    *,
    gone: bool = False,
) -> Failing:
    """The state after an attempt at `now` failed with `error`: tried again after a wait, the
    last time at the end of the retry `window` (counted from the first failure), then parked."""
    attempts = 1 if before is None else before.attempts + 1
    since = now if before is None else before.since
    deadline = since + window
    if gone or now >= deadline:
        return Failing(attempts, since, error, None)
    return Failing(attempts, since, error, min(now + wait_before(attempts, rng), deadline))
