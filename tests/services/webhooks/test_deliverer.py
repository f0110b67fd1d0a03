"""The deliverer against real HTTP receivers on loopback and a real PostgreSQL: the inbox in
order, at least once through failures, a dead endpoint holding up no one else, parking at the
end of the retry window (the clock moved on a day), backfill from a cursor, revocation."""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import psycopg
import pytest

from services.settings import Settings
from services.sharing.store import read_inbox, revoke_agreement, share_batch
from services.sharing.webhook_store import add_webhook, resume_webhook, webhooks
from services.sharing.webhooks import signature
from tests.support.servers import wait_for
from tests.support.sharing_events import AGE_UK, COUNCIL, FOODBANK, MUTUAL_AID, accept, register
from tests.support.webhooks import (
    HANG,
    Clock,
    agree,
    always,
    local_settings,
    raised,
    running_deliverer,
    share,
    wait_for_ids,
    webhook_receiver,
)

Conn = psycopg.Connection[Any]


@pytest.fixture
def conn(database_url: str) -> Iterator[Conn]:
    with psycopg.connect(database_url) as connection:
        register(connection, FOODBANK, COUNCIL, MUTUAL_AID, AGE_UK)
        yield connection


@pytest.fixture
def local(settings: Settings) -> Settings:
    return local_settings(settings)


def inbox_ids(conn: Conn, partner: str) -> list[str]:
    return [entry.event["id"] for entry in read_inbox(conn, partner)]


def hook_of(conn: Conn, partner: str) -> Any:
    (hook,) = webhooks(conn, partner)
    conn.commit()  # the next read sees what the deliverer did since
    return hook


def test_every_inbox_event_arrives_once_in_order_signed(conn: Conn, local: Settings) -> None:
    agree(conn, FOODBANK, COUNCIL)
    with webhook_receiver() as receiver:
        hook, secret = add_webhook(conn, COUNCIL, receiver.url, None, None)
        with running_deliverer(local):
            for start in range(0, 250, 50):  # shared in several batches, as the router does
                share(conn, raised(f"e{start}", 50))
            ids = wait_for_ids(receiver, 250)
        assert ids == inbox_ids(conn, COUNCIL)
        assert len(set(ids)) == 250
        first = receiver.taken()[0]
        # The body is the inbox event as the feed gives it; the signature checks out.
        assert first.event == read_inbox(conn, COUNCIL, limit=1)[0].event
        assert first.headers["Content-Type"] == "application/cloudevents+json"
        key = base64.b64decode(secret.removeprefix("whsec_"))
        assert first.headers["webhook-signature"] == signature(
            key, first.headers["webhook-id"], int(first.headers["webhook-timestamp"]), first.body
        )
        seq = read_inbox(conn, COUNCIL, limit=1)[0].seq
        assert first.headers["webhook-id"] == f"{hook.id}.{seq}"
    done = hook_of(conn, COUNCIL)
    assert (done.status, done.delivered, done.waiting) == ("delivering", 250, 0)


def test_at_least_once_through_a_receiver_that_fails_then_recovers(
    conn: Conn, settings: Settings
) -> None:
    agree(conn, FOODBANK, COUNCIL)
    share(conn, raised("early", 5))
    # Errors, then no answer within the timeout, then fine.
    answers = {1: 500, 2: 503, 3: HANG}
    with webhook_receiver(lambda n: answers.get(n, 200)) as receiver:
        add_webhook(conn, COUNCIL, receiver.url, None, 0)
        with running_deliverer(local_settings(settings, timeout=2)):
            share(conn, raised("late", 5))
            wait_for(lambda: len(set(receiver.taken_ids())) == 10, 60, "every event taken")
        # Each event taken, in inbox order (a repeat, had a slow answer looked like no answer,
        # would be the same delivery again: at least once).
        assert list(dict.fromkeys(receiver.taken_ids())) == inbox_ids(conn, COUNCIL)
        first = receiver.requests[:4]
        assert [r.status for r in first] == [500, 503, HANG, 200]
        assert len({r.headers["webhook-id"] for r in first}) == 1  # the same delivery each time
    done = hook_of(conn, COUNCIL)
    assert (done.status, done.delivered, done.attempts) == ("delivering", 10, 0)
    assert done.last_error == "no answer within 2 s"


def test_a_receiver_that_never_answers_does_not_delay_another_partner(
    conn: Conn, settings: Settings
) -> None:
    agree(conn, FOODBANK, COUNCIL)
    agree(conn, FOODBANK, MUTUAL_AID)
    timeout = 8.0
    with webhook_receiver(always(HANG)) as dead, webhook_receiver() as alive:
        add_webhook(conn, COUNCIL, dead.url, None, None)
        add_webhook(conn, MUTUAL_AID, alive.url, None, None)
        with running_deliverer(local_settings(settings, timeout=timeout)):
            for n in range(5):
                shared_at = time.time()
                share(conn, raised(f"b{n}", 20))
                wait_for_ids(alive, 20 * (n + 1), timeout=timeout / 2)
                # Each batch arrives well inside the dead endpoint's timeout.
                assert max(r.at for r in alive.taken()) - shared_at < 1.5
            assert dead.count() == 1  # still waiting on its first answer
        assert alive.taken_ids() == inbox_ids(conn, MUTUAL_AID)
    assert hook_of(conn, COUNCIL).delivered == 0


def test_parked_after_the_retry_window_then_resumed(conn: Conn, local: Settings) -> None:
    agree(conn, FOODBANK, COUNCIL)
    down = {"status": 503}
    clock = Clock()
    with webhook_receiver(lambda n: down["status"]) as receiver:
        hook, _ = add_webhook(conn, COUNCIL, receiver.url, None, None)
        with running_deliverer(local, clock):
            share(conn, raised("p", 3))
            wait_for(lambda: receiver.count() >= 2, what="two attempts")
            retrying = hook_of(conn, COUNCIL)
            assert (retrying.status, retrying.last_error) == ("retrying", "HTTP 503")
            assert retrying.next_attempt_at is not None
            clock.advance(timedelta(hours=23))
            wait_for(lambda: hook_of(conn, COUNCIL).attempts > retrying.attempts + 1)
            assert hook_of(conn, COUNCIL).status == "retrying"  # within its 24 hours
            clock.advance(timedelta(hours=1, seconds=1))
            parked = wait_for(
                lambda: (h := hook_of(conn, COUNCIL)).status == "parked" and h, what="parked"
            )
            assert (parked.last_error, parked.delivered, parked.waiting) == ("HTTP 503", 0, 3)
            tried = receiver.count()
            clock.advance(timedelta(hours=48))
            time.sleep(1.5)
            assert receiver.count() == tried  # parked: nothing more is sent
            down["status"] = 200
            resume_webhook(conn, hook.id, COUNCIL)
            ids = wait_for_ids(receiver, 3)
        assert ids == inbox_ids(conn, COUNCIL)
    assert hook_of(conn, COUNCIL).status == "delivering"


def test_backfill_from_a_cursor(conn: Conn, local: Settings) -> None:
    agree(conn, FOODBANK, COUNCIL)
    share(conn, raised("old", 10))
    history = read_inbox(conn, COUNCIL)
    with webhook_receiver() as backfill, webhook_receiver() as from_now:
        add_webhook(conn, COUNCIL, backfill.url, None, history[3].seq)
        add_webhook(conn, COUNCIL, from_now.url, None, None)
        with running_deliverer(local):
            share(conn, raised("new", 4))
            ids = wait_for_ids(backfill, 10)
            assert wait_for_ids(from_now, 4) == [f"new-{n:05d}" for n in range(4)]
        assert ids == [entry.event["id"] for entry in history[4:]] + from_now.taken_ids()


def test_revoking_the_agreement_stops_deliveries_as_it_stops_the_feed(
    conn: Conn, local: Settings
) -> None:
    agreement = agree(conn, FOODBANK, COUNCIL)
    with webhook_receiver() as receiver:
        add_webhook(conn, COUNCIL, receiver.url, None, None)
        with running_deliverer(local):
            share(conn, raised("before", 3))
            wait_for_ids(receiver, 3)
            # Accepted before the revocation, routed after it: still shared, as the feed has it.
            pending = accept(conn, raised("pending", 2))
            conn.commit()
            revoke_agreement(conn, agreement)
            share_batch(conn, pending)
            conn.commit()
            share(conn, raised("after", 3))
            wait_for_ids(receiver, 5)
            time.sleep(1.0)
        assert receiver.taken_ids() == inbox_ids(conn, COUNCIL)
        assert receiver.taken_ids() == [f"before-{n:05d}" for n in range(3)] + [
            f"pending-{n:05d}" for n in range(2)
        ]


def test_only_the_chosen_types_go_and_the_others_are_passed_over(
    conn: Conn, local: Settings
) -> None:
    agree(conn, FOODBANK, COUNCIL)
    with webhook_receiver() as receiver:
        add_webhook(conn, COUNCIL, receiver.url, ("resilience.stock.received.v1",), None)
        with running_deliverer(local):
            share(conn, raised("r", 5))
            wait_for(lambda: hook_of(conn, COUNCIL).waiting == 0, what="passed over")
        assert receiver.count() == 0
    done = hook_of(conn, COUNCIL)
    assert (done.delivered, done.position) == (0, read_inbox(conn, COUNCIL)[-1].seq)
