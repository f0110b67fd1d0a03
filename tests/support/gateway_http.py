"""The real gateway over HTTP, with two partners registered, and what tests ask of it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import orjson
import psycopg

from services.settings import Settings
from services.store.partners import Partner, add_partner
from tests.support.events_store import sample_event
from tests.support.servers import running_gateway

BATCH = "application/cloudevents-batch+json"
SINGLE = "application/cloudevents+json"


@dataclass
class Gateway:
    url: str
    token: str
    other_token: str
    database_url: str

    def post(
        self,
        body: Any,
        media_type: str = BATCH,
        token: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        content = body if isinstance(body, bytes) else orjson.dumps(body)
        return httpx.post(
            f"{self.url}/v1/events",
            content=content,
            headers={
                "Authorization": f"Bearer {token or self.token}",
                "Content-Type": media_type,
                **(headers or {}),
            },
            timeout=30,
        )

    def stored_ids(self) -> list[str]:
        with psycopg.connect(self.database_url) as conn:
            return [str(r[0]) for r in conn.execute("SELECT id FROM events ORDER BY seq")]

    def dead_letters(self) -> list[tuple[int, Any]]:
        with psycopg.connect(self.database_url) as conn:
            return [
                (int(r[0]), r[1])
                for r in conn.execute("SELECT status, problems FROM dead_letters ORDER BY seq")
            ]

    def assert_serving(self) -> None:
        """Alive, and still accepting a good event, whatever was thrown at it before."""
        assert httpx.get(f"{self.url}/healthz", timeout=10).json() == {"status": "ok"}
        event = {**sample_event(0), "id": f"alive-{uuid.uuid4().hex}"}
        response = self.post(event, media_type=SINGLE)
        assert (response.status_code, response.json()) == (202, {"accepted": 1, "duplicates": 0})


@contextmanager
def gateway_for(settings: Settings) -> Iterator[Gateway]:
    with psycopg.connect(settings.require_database_url()) as conn:
        token = add_partner(conn, Partner("kingston-foodbank", "Kingston Foodbank"))
        other = add_partner(conn, Partner("rbk-council", "Royal Borough of Kingston"))
    with running_gateway(settings) as url:
        yield Gateway(url, token, other, str(settings.database_url))
