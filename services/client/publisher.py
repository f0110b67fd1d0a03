"""A small publisher for partners' own scripts: batches, retries, never loses a success.

    from services.client.publisher import Publisher
    with Publisher("http://127.0.0.1:8080", token) as publisher:
        result = publisher.publish(events)   # batches of 500
        print(result.accepted, result.duplicates, result.dropped)

Events are CloudEvent dicts, contract models (`envelope(...)`), or the CloudEvents SDK's own
`CloudEvent` objects (`cloudevents` on PyPI, either of its APIs), sent as the SDK writes them.

`AsyncPublisher` is the same for asyncio code, and sends several batches at once. A call
returns only once every event is durable at the gateway. Re-sending is safe: an event is
identified by (source, id), so a retry after a lost reply counts as a duplicate, not twice.
Both publishers share one retry policy (`Backoff`, `next_step`): only the waiting differs.
A gateway that is not running raises `httpx.ConnectError` at once, unless
`Backoff(connect_for=SECONDS)` asks to wait for it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import count
from typing import Any, Protocol, TypeAlias

import httpx
import orjson
from pydantic import BaseModel

from schemas import EVENT_TYPES, Event, event_to_json, parse_event_obj
from schemas.envelope import Envelope
from schemas.events import subject_of

BATCH_MEDIA_TYPE = "application/cloudevents-batch+json"


class SdkCloudEvent(Protocol):
    """A `CloudEvent` of the CloudEvents SDK: `cloudevents.core` or `cloudevents.v1` (the
    http and pydantic events)."""

    def get_attributes(self) -> Mapping[str, Any]: ...

    def get_data(self) -> Any: ...


Publishable: TypeAlias = Mapping[str, Any] | Event | SdkCloudEvent
"""A CloudEvent as a JSON-ready dict, as a validated contract model (see `envelope`), or as
the CloudEvents SDK's object."""

Progress: TypeAlias = Callable[["PublishResult"], None]
"""Called with each batch's result as soon as that batch is durable."""


@dataclass
class PublishResult:
    accepted: int = 0
    duplicates: int = 0
    dropped: dict[str, list[str]] = field(default_factory=dict)
    """Event id → the extension attributes the gateway dropped from it before storing it."""

    @property
    def events(self) -> int:
        return self.accepted + self.duplicates

    def add(self, other: PublishResult) -> None:
        self.accepted += other.accepted
        self.duplicates += other.duplicates
        for event_id, names in other.dropped.items():
            self.dropped[event_id] = sorted({*self.dropped.get(event_id, ()), *names})


class PublishRefused(Exception):
    """The gateway refused a batch (4xx), or kept refusing it after every retry.

    `published` counts what earlier batches of the same call had made durable."""

    def __init__(self, status: int, body: Mapping[str, Any]) -> None:
        super().__init__(f"{status}: {body.get('error') or body.get('detail')}")
        self.status = status
        self.body = body
        self.published = PublishResult()


@dataclass(frozen=True)
class Backoff:
    """How long to wait before each retry: `first` seconds, doubling up to `cap`, but never
    sooner than the gateway's `Retry-After`; at most `attempts` tries of one batch.

    A gateway that cannot be connected to (refused: it is not running) is retried only for
    `connect_for` seconds, by default not at all: a script whose gateway is down learns so at
    once, not after every attempt's wait, unless it asks to wait for the gateway to start."""

    attempts: int = 8
    first: float = 0.2
    cap: float = 10.0
    connect_for: float = 0.0

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        backoff = min(self.cap, self.first * 2.0 ** (attempt - 1))
        return max(backoff, retry_after or 0.0)


def is_retryable(status: int) -> bool:
    """429 (over a rate limit, or the store is behind) and 5xx are worth retrying: a batch is
    idempotent, so sending it again can only add duplicates, never doubles."""
    return status == 429 or status >= 500


CONNECT_SECONDS = 5.0
"""How long connecting to the gateway may take before it counts as not reachable."""

UNREACHABLE = (httpx.ConnectError, httpx.ConnectTimeout)
"""Nothing of the request reached the gateway: it is not running, or not at that address."""


def next_step(
    outcome: httpx.Response | httpx.TransportError,
    attempt: int,
    backoff: Backoff,
    elapsed: float = 0.0,
) -> PublishResult | float:
    """What to do after one attempt at a batch, `elapsed` seconds after its first: its result
    once it is durable, or the seconds to wait before trying again. Raises when retrying cannot
    help, the attempts are spent, or the gateway stayed unreachable `backoff.connect_for`."""
    if isinstance(outcome, UNREACHABLE):
        left = backoff.connect_for - elapsed
        if left <= 0:
            raise outcome
        return min(backoff.delay(attempt), left)  # the last try at the end of connect_for
    if isinstance(outcome, httpx.TransportError):
        if attempt >= backoff.attempts:
            raise outcome
        return backoff.delay(attempt)
    if outcome.status_code == 202:
        reply = outcome.json()
        return PublishResult(reply["accepted"], reply["duplicates"], reply.get("dropped", {}))
    if not is_retryable(outcome.status_code) or attempt >= backoff.attempts:
        raise PublishRefused(outcome.status_code, _json(outcome))
    return backoff.delay(attempt, _retry_after(outcome))


def encode_batch(batch: Sequence[Publishable]) -> bytes:
    """A batch's body: dicts as they are, contract models in their canonical JSON, SDK events
    in the structured JSON the SDK writes."""
    if all(isinstance(event, Mapping) for event in batch):
        return orjson.dumps(list(batch))
    return b"[" + b",".join(map(_event_json, batch)) + b"]"


def _event_json(event: Publishable) -> bytes:
    if isinstance(event, Mapping):
        return orjson.dumps(event)
    if isinstance(event, Envelope):
        return event_to_json(event)
    return sdk_event_json(event)


def sdk_event_json(event: SdkCloudEvent) -> bytes:
    """A CloudEvents SDK event in structured mode, written by the SDK itself (so `data` given
    as bytes goes as `data_base64`, which the gateway decodes)."""
    # Imported here: only partners who hand over SDK events have the SDK installed.
    from cloudevents.core.formats.json import JSONFormat
    from cloudevents.v1.abstract import CloudEvent as V1CloudEvent
    from cloudevents.v1.conversion import to_json

    if isinstance(event, V1CloudEvent):
        return to_json(event)
    return JSONFormat().write(event)  # type: ignore[arg-type]


def batches(events: Iterable[Publishable], size: int) -> Iterator[list[Publishable]]:
    batch: list[Publishable] = []
    for event in events:
        batch.append(event)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def envelope(
    data: BaseModel,
    *,
    id: str,
    time: datetime,
    partner: str,
    system: str,
    incident: str,
    subject: str | None = None,
) -> Event:
    """A contract event around a payload model of `schemas` (e.g. `RequestRaised(...)`): its
    type comes from the payload, `source` is /orgs/{partner}/{system}, and `subject` defaults
    to what the contract says it must equal. Raises `schemas.ContractError` if invalid."""
    event: dict[str, Any] = {
        "specversion": "1.0",
        "id": id,
        "source": f"/orgs/{partner}/{system}",
        "type": _TYPE_OF_PAYLOAD[type(data)],
        "time": time,
        "partner": partner,
        "incident": incident,
        "data": data.model_dump(mode="json", by_alias=True, exclude_none=True),
    }
    event["subject"] = subject if subject is not None else subject_of(event)
    return parse_event_obj(event)


_TYPE_OF_PAYLOAD = {payload: event_type for event_type, payload in EVENT_TYPES.items()}


class Publisher:
    def __init__(
        self,
        url: str,
        token: str,
        *,
        batch_size: int = 500,
        backoff: Backoff = Backoff(),
        timeout: float = 30.0,
    ) -> None:
        self.batch_size = batch_size
        self.backoff = backoff
        self._http = httpx.Client(base_url=url, timeout=_timeout(timeout), headers=_headers(token))

    def __enter__(self) -> Publisher:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def publish(
        self, events: Iterable[Publishable], progress: Progress | None = None
    ) -> PublishResult:
        result = PublishResult()
        for batch in batches(events, self.batch_size):
            try:
                done = self.publish_batch(batch)
            except PublishRefused as refused:
                refused.published = result
                raise
            result.add(done)
            if progress:
                progress(done)
        return result

    def publish_batch(self, batch: Sequence[Publishable]) -> PublishResult:
        body = encode_batch(batch)
        started = time.monotonic()
        for attempt in count(1):
            outcome = self._post(body)
            step = next_step(outcome, attempt, self.backoff, time.monotonic() - started)
            if isinstance(step, PublishResult):
                return step
            time.sleep(step)
        raise AssertionError("unreachable")

    def _post(self, body: bytes) -> httpx.Response | httpx.TransportError:
        try:
            return self._http.post("/v1/events", content=body)
        except httpx.TransportError as error:
            return error


class AsyncPublisher:
    """The asyncio publisher: `concurrency` batches in flight at once, each retried alone."""

    def __init__(
        self,
        url: str,
        token: str,
        *,
        batch_size: int = 500,
        concurrency: int = 4,
        backoff: Backoff = Backoff(),
        timeout: float = 30.0,
    ) -> None:
        self.batch_size = batch_size
        self.concurrency = concurrency
        self.backoff = backoff
        self._http = httpx.AsyncClient(
            base_url=url,
            timeout=_timeout(timeout),
            headers=_headers(token),
            limits=httpx.Limits(max_connections=concurrency),
        )

    async def __aenter__(self) -> AsyncPublisher:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def publish(
        self, events: Iterable[Publishable], progress: Progress | None = None
    ) -> PublishResult:
        """Every event, `concurrency` batches at a time; returns once all are durable. If a
        batch is refused the others are stopped and `PublishRefused.published` counts what
        was made durable before (batches still in flight may be durable too: send again)."""
        pending = batches(events, self.batch_size)
        result = PublishResult()

        async def sender() -> None:
            for batch in pending:
                done = await self.publish_batch(batch)
                result.add(done)
                if progress:
                    progress(done)

        try:
            async with asyncio.TaskGroup() as group:
                for _ in range(self.concurrency):
                    group.create_task(sender())
        except ExceptionGroup as failed:
            first = failed.exceptions[0]
            if isinstance(first, PublishRefused):
                first.published = result
            raise first from None
        return result

    async def publish_batch(self, batch: Sequence[Publishable]) -> PublishResult:
        body = encode_batch(batch)
        started = time.monotonic()
        for attempt in count(1):
            outcome = await self._post(body)
            step = next_step(outcome, attempt, self.backoff, time.monotonic() - started)
            if isinstance(step, PublishResult):
                return step
            await asyncio.sleep(step)
        raise AssertionError("unreachable")

    async def _post(self, body: bytes) -> httpx.Response | httpx.TransportError:
        try:
            return await self._http.post("/v1/events", content=body)
        except httpx.TransportError as error:
            return error


def _timeout(seconds: float) -> httpx.Timeout:
    return httpx.Timeout(seconds, connect=min(seconds, CONNECT_SECONDS))


def _headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Content-Type": BATCH_MEDIA_TYPE}


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return float(response.headers["Retry-After"])
    except (KeyError, ValueError):
        return None


def _json(response: httpx.Response) -> Mapping[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {"error": response.text[:500]}
    return body if isinstance(body, dict) else {"error": body}
