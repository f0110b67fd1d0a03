"""A small publisher for partners' own scripts: batches, retries, never loses a success.

    from services.client import Publisher
    with Publisher("http://127.0.0.1:8080", token) as publisher:
        result = publisher.publish(events)   # CloudEvent dicts; batches of 500
        print(result.accepted, result.duplicates)

A call returns only once every event is durable at the gateway. Re-sending is safe: an event
is identified by (source, id), so a retry after a lost reply counts as a duplicate, not twice.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
import orjson

BATCH_MEDIA_TYPE = "application/cloudevents-batch+json"
RETRY_STATUSES = frozenset({429, 502, 503, 504})


@dataclass
class PublishResult:
    accepted: int = 0
    duplicates: int = 0

    def add(self, other: PublishResult) -> None:
        self.accepted += other.accepted
        self.duplicates += other.duplicates


class PublishRefused(Exception):
    """The gateway refused a batch (4xx): the events are wrong, retrying will not help."""

    def __init__(self, status: int, body: Mapping[str, Any]) -> None:
        super().__init__(f"{status}: {body.get('error') or body.get('detail')}")
        self.status = status
        self.body = body


def batches(events: Iterable[Mapping[str, Any]], size: int) -> Iterator[list[Mapping[str, Any]]]:
    batch: list[Mapping[str, Any]] = []
    for event in events:
        batch.append(event)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


class Publisher:
    def __init__(
        self,
        url: str,
        token: str,
        *,
        batch_size: int = 500,
        max_attempts: int = 8,
        timeout: float = 30.0,
    ) -> None:
        self.batch_size = batch_size
        self.max_attempts = max_attempts
        self._http = httpx.Client(
            base_url=url,
            timeout=timeout,
            headers={"Authorization": f"Bearer {token}", "Content-Type": BATCH_MEDIA_TYPE},
        )

    def __enter__(self) -> Publisher:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def publish(self, events: Iterable[Mapping[str, Any]]) -> PublishResult:
        result = PublishResult()
        for batch in batches(events, self.batch_size):
            result.add(self.publish_batch(batch))
        return result

    def publish_batch(self, batch: Sequence[Mapping[str, Any]]) -> PublishResult:
        body = orjson.dumps(list(batch))
        delay = 0.2
        for attempt in range(1, self.max_attempts + 1):
            try:
                response = self._http.post("/v1/events", content=body)
            except httpx.TransportError:
                if attempt == self.max_attempts:
                    raise
            else:
                if response.status_code == 202:
                    reply = response.json()
                    return PublishResult(reply["accepted"], reply["duplicates"])
                if response.status_code not in RETRY_STATUSES or attempt == self.max_attempts:
                    raise PublishRefused(response.status_code, _json(response))
                delay = max(delay, float(response.headers.get("Retry-After", delay)))
            time.sleep(delay)
            delay = min(delay * 2, 10.0)
        raise AssertionError("unreachable")


def _json(response: httpx.Response) -> Mapping[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {"error": response.text[:500]}
    return body if isinstance(body, dict) else {"error": body}
