"""Webhooks kept in PostgreSQL (migration 0015): made, listed, removed and resumed, and the
delivery state the deliverer reads and writes.

The statements are shared: the CLI runs them through the functions below, the gateway's
`/v1/webhooks` and the deliverer through their own async connections. A partner's webhooks are
always asked for with the partner, so one partner never reaches another's.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg

from services.sharing.webhooks import Failing, new_secret, shown_secret

Conn = psycopg.Connection[Any]

MAX_WEBHOOKS = 10
"""Per partner: each webhook is a loop of requests Tandem makes on the partner's word."""


class WebhookError(ValueError):
    """A webhook cannot be made, found or resumed; the message says why, in one line."""


@dataclass(frozen=True)
class Webhook:
    id: str
    partner: str
    url: str
    types: tuple[str, ...] | None
    created_at: datetime
    position: int
    delivered: int
    last_delivered_at: datetime | None
    attempts: int
    failing_since: datetime | None
    next_attempt_at: datetime | None
    last_error: str | None
    parked_at: datetime | None
    waiting: int
    """Events of the inbox after `position` (of any type): what is still to go."""

    @property
    def status(self) -> str:
        if self.parked_at is not None:
            return "parked"
        return "retrying" if self.attempts else "delivering"


_COLUMNS = (
    "w.id, w.partner, w.url, w.types, w.created_at, w.position, w.delivered,"
    " w.last_delivered_at, w.attempts, w.failing_since, w.next_attempt_at, w.last_error,"
    " w.parked_at,"
    " (SELECT count(*) FROM inbox i WHERE i.recipient = w.partner AND i.seq > w.position)"
)

ADD_SQL = f"""
WITH made AS (
    INSERT INTO webhooks (id, partner, url, types, position)
    SELECT %(id)s, p.id, %(url)s, %(types)s,
           coalesce(%(after)s, (SELECT max(seq) FROM inbox WHERE recipient = p.id), 0)
    FROM partners p
    WHERE p.id = %(partner)s
      AND (SELECT count(*) FROM webhooks o WHERE o.partner = p.id AND o.removed_at IS NULL)
          < {MAX_WEBHOOKS}
    RETURNING *
), kept AS (
    INSERT INTO sharing_private.webhook_secrets (webhook_id, secret)
    SELECT id, %(secret)s FROM made
)
SELECT {_COLUMNS} FROM made w
"""
"""Makes a webhook from the inbox position `after` (None: from now on: what the inbox holds
already is not sent); no row when the partner is unknown or has its MAX_WEBHOOKS already."""

LIST_SQL = (
    f"SELECT {_COLUMNS} FROM webhooks w"
    " WHERE w.removed_at IS NULL AND (w.partner = %(partner)s OR %(partner)s IS NULL)"
    " ORDER BY w.partner, w.created_at, w.id"
)

REMOVE_SQL = """
WITH gone AS (
    UPDATE webhooks SET removed_at = now()
    WHERE id = %(id)s AND removed_at IS NULL AND (partner = %(partner)s OR %(partner)s IS NULL)
    RETURNING id
)
DELETE FROM sharing_private.webhook_secrets s USING gone WHERE s.webhook_id = gone.id
RETURNING gone.id
"""
"""Removes a webhook (of `partner`, when given) and its secret; no row when there is none."""

RESUME_SQL = """
UPDATE webhooks SET parked_at = NULL, attempts = 0, failing_since = NULL, next_attempt_at = NULL
WHERE id = %(id)s AND removed_at IS NULL AND parked_at IS NOT NULL
  AND (partner = %(partner)s OR %(partner)s IS NULL)
RETURNING id
"""

ACTIVE_SQL = (
    "SELECT id FROM webhooks WHERE removed_at IS NULL AND parked_at IS NULL ORDER BY created_at"
)

STATE_SQL = """
SELECT w.partner, w.url, w.types, w.position, w.attempts, w.failing_since, w.next_attempt_at,
       w.last_error, s.secret
FROM webhooks w JOIN sharing_private.webhook_secrets s ON s.webhook_id = w.id
WHERE w.id = %s AND w.removed_at IS NULL AND w.parked_at IS NULL
"""
"""What the deliverer needs of one webhook still delivering; no row once removed or parked."""

RECORD_SQL = """
UPDATE webhooks SET
    position = %(position)s,
    delivered = delivered + %(delivered)s,
    last_delivered_at = CASE WHEN %(delivered)s > 0 THEN %(now)s ELSE last_delivered_at END,
    attempts = %(attempts)s,
    failing_since = %(failing_since)s,
    next_attempt_at = %(next_attempt_at)s,
    last_error = coalesce(%(error)s, last_error),
    parked_at = CASE WHEN %(parked)s THEN %(now)s END
WHERE id = %(id)s AND position = %(from)s AND removed_at IS NULL
"""
"""A round of deliveries: the position moved to and the outcome of the last attempt, in one
statement. `from` guards against a second deliverer that moved the position meanwhile."""


@dataclass(frozen=True)
class DeliveryState:
    partner: str
    url: str
    types: frozenset[str] | None
    position: int
    failing: Failing | None
    secret: bytes


def delivery_state(row: tuple[Any, ...]) -> DeliveryState:
    """A row of STATE_SQL."""
    partner, url, types, position, attempts, since, next_at, error, secret = row
    failing = Failing(attempts, since, error or "", next_at) if attempts else None
    kinds = None if types is None else frozenset(types)
    return DeliveryState(partner, url, kinds, position, failing, bytes(secret))


def record_params(
    webhook_id: str,
    start: int,
    position: int,
    delivered: int,
    failing: Failing | None,
    now: datetime,
) -> dict[str, Any]:
    """The parameters of RECORD_SQL after a round that began at `start`."""
    return {
        "id": webhook_id,
        "from": start,
        "position": position,
        "delivered": delivered,
        "now": now,
        "attempts": failing.attempts if failing else 0,
        "failing_since": failing.since if failing else None,
        "next_attempt_at": failing.next_attempt_at if failing else None,
        "error": failing.error if failing else None,
        "parked": bool(failing and failing.parked),
    }


def webhook(row: tuple[Any, ...]) -> Webhook:
    """A row of ADD_SQL or LIST_SQL."""
    types = None if row[3] is None else tuple(row[3])
    return Webhook(row[0], row[1], row[2], types, *row[4:14])


def add_params(
    partner: str, url: str, types: tuple[str, ...] | None, after: int | None
) -> tuple[dict[str, Any], str]:
    """The parameters of ADD_SQL, and the secret as shown once to the partner."""
    secret = new_secret()
    params = {
        "id": f"wh-{secrets.token_hex(4)}",
        "partner": partner,
        "url": url,
        "types": list(types) if types else None,
        "after": after,
        "secret": secret,
    }
    return params, shown_secret(secret)


def too_many(partner: str) -> str:
    return f"{partner} has {MAX_WEBHOOKS} webhooks already: remove one first"


def add_webhook(
    conn: Conn, partner: str, url: str, types: tuple[str, ...] | None, after: int | None
) -> tuple[Webhook, str]:
    """Make a webhook for `partner` to the (already checked) `url`; return it and its secret."""
    with conn.transaction():
        if conn.execute("SELECT FROM partners WHERE id = %s", (partner,)).fetchone() is None:
            raise WebhookError(f"no partner {partner!r}")
        params, secret = add_params(partner, url, types, after)
        row = conn.execute(ADD_SQL, params).fetchone()
    if row is None:
        raise WebhookError(too_many(partner))
    return webhook(row), secret


def webhooks(conn: Conn, partner: str | None = None) -> list[Webhook]:
    """The webhooks of `partner` (of every partner when None), with their delivery state."""
    return [webhook(row) for row in conn.execute(LIST_SQL, {"partner": partner})]


def remove_webhook(conn: Conn, webhook_id: str, partner: str | None = None) -> None:
    with conn.transaction():
        row = conn.execute(REMOVE_SQL, {"id": webhook_id, "partner": partner}).fetchone()
    if row is None:
        raise WebhookError(f"no webhook {webhook_id!r}")


def resume_webhook(conn: Conn, webhook_id: str, partner: str | None = None) -> None:
    """Deliver again from where a parked webhook stopped."""
    with conn.transaction():
        row = conn.execute(RESUME_SQL, {"id": webhook_id, "partner": partner}).fetchone()
    if row is None:
        raise WebhookError(f"no parked webhook {webhook_id!r}")


def webhook_json(hook: Webhook) -> dict[str, Any]:
    """A webhook as `GET /v1/webhooks` and `tandem webhook status --format json` show it."""

    def at(value: datetime | None) -> str | None:
        return None if value is None else value.isoformat()

    return {
        "id": hook.id,
        "partner": hook.partner,
        "url": hook.url,
        "types": list(hook.types) if hook.types else None,
        "status": hook.status,
        "created_at": at(hook.created_at),
        "cursor": str(hook.position),
        "delivered": hook.delivered,
        "waiting": hook.waiting,
        "last_delivered_at": at(hook.last_delivered_at),
        "attempts": hook.attempts,
        "failing_since": at(hook.failing_since),
        "next_attempt_at": at(hook.next_attempt_at),
        "last_error": hook.last_error,
        "parked_at": at(hook.parked_at),
    }
