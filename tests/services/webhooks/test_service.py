"""`python -m services.webhooks` as `tandem up` runs it: one of the stack's services, delivering
on its own; a second instance waits as a hot standby and takes over when the first dies."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from infra.stack import services
from services.settings import Settings
from services.sharing.webhook_store import add_webhook
from tests.support.servers import service_process, wait_for
from tests.support.sharing_events import COUNCIL, FOODBANK, register
from tests.support.webhooks import agree, raised, share, wait_for_ids, webhook_receiver


def test_the_stack_runs_the_webhooks_service() -> None:
    assert ("webhooks", "services.webhooks") in {(s.name, s.module) for s in services(8080)}


def test_the_service_delivers_and_its_standby_takes_over(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TANDEM_WEBHOOK_ALLOW_LOOPBACK", "true")
    with psycopg.connect(settings.require_database_url()) as conn, webhook_receiver() as receiver:
        register(conn, FOODBANK, COUNCIL)
        agree(conn, FOODBANK, COUNCIL)
        add_webhook(conn, COUNCIL, receiver.url, None, None)
        with (
            service_process("services.webhooks", settings, tmp_path / "first.log") as first,
            service_process("services.webhooks", settings, tmp_path / "second.log"),
        ):
            share(conn, raised("one", 20))
            wait_for_ids(receiver, 20, timeout=60)
            first.kill()
            share(conn, raised("two", 20))
            wait_for(lambda: len(set(receiver.taken_ids())) == 40, 60, "the standby's deliveries")
    # At least once: a delivery the killed one made but had not yet recorded comes again.
    distinct = list(dict.fromkeys(receiver.taken_ids()))
    assert distinct == [f"one-{n:05d}" for n in range(20)] + [f"two-{n:05d}" for n in range(20)]
