"""The receiving side as the README shows it, run as written: it takes every delivery of a real
deliverer, and refuses a changed body, another secret, another delivery's id and an old one
played again."""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest

from services.settings import Settings
from services.sharing.webhook_store import add_webhook
from services.sharing.webhooks import signature
from tests.support.markdown import fenced, sections
from tests.support.paths import ROOT
from tests.support.sharing_events import COUNCIL, FOODBANK, register
from tests.support.webhooks import (
    agree,
    local_settings,
    raised,
    running_deliverer,
    share,
    wait_for_ids,
    webhook_receiver,
)

Verified = Callable[[str, dict[str, str], bytes], bool]


@pytest.fixture
def verified() -> Verified:
    (recipe,) = fenced(sections((ROOT / "README.md").read_text(), 2)["Webhooks"], "python")
    assert len(recipe.strip().splitlines()) <= 11  # "in ten lines", the import line besides
    scope: dict[str, Any] = {}
    exec(compile(recipe, "README.md (Webhooks)", "exec"), scope)
    check: Verified = scope["verified"]
    return check


@pytest.fixture
def conn(database_url: str) -> Iterator[psycopg.Connection[Any]]:
    with psycopg.connect(database_url) as connection:
        register(connection, FOODBANK, COUNCIL)
        agree(connection, FOODBANK, COUNCIL)
        connection.commit()
        yield connection


def test_the_readme_receiver_checks_real_deliveries(
    verified: Verified, conn: psycopg.Connection[Any], settings: Settings
) -> None:
    with webhook_receiver() as receiver:
        _, secret = add_webhook(conn, COUNCIL, receiver.url, None, None)
        _, other_secret = add_webhook(conn, COUNCIL, receiver.url + "?other", None, None)
        with running_deliverer(local_settings(settings)):
            share(conn, raised("sig", 5))
            wait_for_ids(receiver, 10)
    deliveries = [(r, {k.lower(): v for k, v in r.headers.items()}) for r in receiver.taken()]
    mine = [d for d in deliveries if verified(secret, d[1], d[0].body)]
    theirs = [d for d in deliveries if verified(other_secret, d[1], d[0].body)]
    assert len(mine) == len(theirs) == 5  # each delivery verifies under its own secret only

    received, headers = mine[0]
    assert not verified(secret, headers, received.body.replace(b"sig-", b"six-"))
    assert not verified(secret, {**headers, "webhook-id": mine[1][1]["webhook-id"]}, received.body)
    key = base64.b64decode(secret.removeprefix("whsec_"))
    old = int(time.time()) - 600
    replayed = {
        **headers,
        "webhook-timestamp": str(old),
        "webhook-signature": signature(key, headers["webhook-id"], old, received.body),
    }
    assert not verified(secret, replayed, received.body)
    # Several signatures, one of them right (as while a secret is rotated): taken.
    both = {**headers, "webhook-signature": f"v1,bm9wZQ== {headers['webhook-signature']}"}
    assert verified(secret, both, received.body)
