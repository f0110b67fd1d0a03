"""Webhooks through the whole stack, as a partner meets them: `tandem up`, a partner's webhook
made over HTTP with its own token, another partner publishing through the gateway, the router
sharing under their agreement — and the receiver getting, signed, exactly what the feed gives,
in the same order."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import httpx
import pytest

from infra.broker import free_port
from services.sharing.webhooks import signature
from tests.support.servers import wait_for
from tests.support.stack_process import StackProcess
from tests.support.webhooks import raised, stack_partnership, wait_for_ids, webhook_receiver

EVENTS = 30


def test_a_partner_receives_its_feed_by_webhook(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TANDEM_WEBHOOK_ALLOW_LOOPBACK", "true")  # `tandem up` passes it on
    port = free_port()
    with StackProcess.up(port, tmp_path / "up.log") as stack, webhook_receiver() as receiver:
        url = f"http://127.0.0.1:{port}"
        provider, recipient = stack_partnership(stack)
        as_council = {"Authorization": f"Bearer {recipient}"}
        made = httpx.post(
            f"{url}/v1/webhooks", json={"url": receiver.url}, headers=as_council, timeout=10
        )
        assert made.status_code == 201, made.text
        key = base64.b64decode(made.json()["secret"].removeprefix("whsec_"))

        events = raised("w", EVENTS)
        for start in range(0, EVENTS, 10):
            published = httpx.post(
                f"{url}/v1/events",
                json=events[start : start + 10],
                headers={"Authorization": f"Bearer {provider}"},
                timeout=30,
            )
            assert published.status_code == 202, published.text
        ids = wait_for_ids(receiver, EVENTS, timeout=60)

        def whole_feed() -> list[dict[str, Any]] | None:
            page = httpx.get(f"{url}/v1/feed", params={"after": 0}, headers=as_council, timeout=10)
            events: list[dict[str, Any]] = page.json()["events"]
            return events if len(events) == EVENTS else None

        feed = wait_for(whole_feed, 30, "the feed")
        assert ids == [event["id"] for event in feed]
        assert [r.event for r in receiver.taken()] == feed
        for received in receiver.taken():
            headers = {name.lower(): value for name, value in received.headers.items()}
            sent_at = int(headers["webhook-timestamp"])
            expected = signature(key, headers["webhook-id"], sent_at, received.body)
            assert headers["webhook-signature"] == expected
        state = httpx.get(f"{url}/v1/webhooks", headers=as_council, timeout=10).json()
        assert [(w["status"], w["delivered"], w["waiting"]) for w in state["webhooks"]] == [
            ("delivering", EVENTS, 0)
        ]
