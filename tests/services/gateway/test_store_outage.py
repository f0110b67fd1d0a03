"""PostgreSQL goes away under a steady stream of requests and comes back: the gateway answers
503 with Retry-After (never 202, never another 5xx, never a hang) while it is gone, and takes
requests again by itself once it is back. Every 202 is stored; every batch is whole or absent.

This test stops and starts its own PostgreSQL server, so the suite's shared one is untouched."""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg
import pytest

from infra.migrate import migrate
from infra.postgres import EmbeddedPostgres
from services.settings import Settings
from tests.support.events_store import sample_event
from tests.support.gateway_http import Gateway, gateway_for
from tests.support.servers import wait_for

BATCH_EVENTS = 3
ANSWER_SECONDS = 10.0  # no request may wait longer than this for its answer, outage or not


@pytest.fixture
def own_postgres() -> Iterator[EmbeddedPostgres]:
    # A short path: the server's socket lives in its data directory.
    base = Path(tempfile.mkdtemp(prefix="tandem-outage-"))
    server = EmbeddedPostgres(base / "pg")
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)


@dataclass
class Answer:
    ids: list[str]
    status: int
    retry_after: str | None
    seconds: float


@dataclass
class SteadyPublisher:
    """Publishes batches one after another, as a partner's system would, until stopped."""

    gateway: Gateway
    answers: list[Answer] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        with httpx.Client(timeout=ANSWER_SECONDS * 2) as http:
            for n in range(100_000):
                if self.stop.is_set():
                    return
                ids = [f"steady-{n}-{k}" for k in range(BATCH_EVENTS)]
                started = time.monotonic()
                try:
                    response = http.post(
                        f"{self.gateway.url}/v1/events",
                        json=[{**sample_event(k), "id": i} for k, i in enumerate(ids)],
                        headers={"Authorization": f"Bearer {self.gateway.token}"},
                    )
                except httpx.TransportError:
                    self.answers.append(Answer(ids, 0, None, time.monotonic() - started))
                    continue
                self.answers.append(
                    Answer(
                        ids,
                        response.status_code,
                        response.headers.get("retry-after"),
                        time.monotonic() - started,
                    )
                )
                if response.status_code == 503:
                    time.sleep(0.2)  # as a client honouring Retry-After would pause

    def since(self, count: int) -> list[Answer]:
        return self.answers[count:]


def test_the_gateway_answers_503_while_postgres_is_down_and_resumes_by_itself(
    own_postgres: EmbeddedPostgres, settings: Settings
) -> None:
    url = own_postgres.start()
    migrate(url)
    with gateway_for(settings.model_copy(update={"database_url": url})) as gateway:
        publisher = SteadyPublisher(gateway)
        thread = threading.Thread(target=publisher.run)
        thread.start()
        try:
            wait_for(lambda: any(a.status == 202 for a in publisher.answers), what="a first 202")

            own_postgres.stop()
            down = len(publisher.answers)
            wait_for(
                lambda: sum(a.status == 503 for a in publisher.since(down)) >= 2,
                timeout=ANSWER_SECONDS * 2,
                what="503s while PostgreSQL is down",
            )
            ready = httpx.get(f"{gateway.url}/readyz", timeout=ANSWER_SECONDS)
            assert (ready.status_code, ready.json()["checks"]["database"]) == (503, False)
            assert httpx.get(f"{gateway.url}/healthz").status_code == 200
            # A token not seen before cannot be checked without the database: 503, not 401/500.
            unchecked = gateway.post([sample_event(1)], token=gateway.other_token)
            assert unchecked.status_code == 503, unchecked.text

            assert own_postgres.start() == url
            back = len(publisher.answers)
            wait_for(
                lambda: any(a.status == 202 for a in publisher.since(back)),
                timeout=30,
                what="a 202 once PostgreSQL is back, without restarting the gateway",
            )
        finally:
            publisher.stop.set()
            thread.join(ANSWER_SECONDS * 3)

    answers = publisher.answers
    assert {a.status for a in answers} <= {202, 503}, {a.status for a in answers}
    assert all(a.retry_after for a in answers if a.status == 503)
    assert max(a.seconds for a in answers) < ANSWER_SECONDS
    with psycopg.connect(url) as conn:
        stored = {str(r[0]) for r in conn.execute("SELECT id FROM events")}
    assert {i for a in answers if a.status == 202 for i in a.ids} <= stored
    # A 503 may come after a commit whose answer was lost with the connection: then the whole
    # batch is there (a retry counts it as duplicates). Never part of one.
    assert all(len(stored.intersection(a.ids)) in (0, BATCH_EVENTS) for a in answers)
