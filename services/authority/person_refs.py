"""Personal references never enter: at the door, every `person_ref` becomes a keyed pseudonym.

A partner's `person_ref` is its own reference to a resident (an NHS number, a case number).
Before an event is stored, logged, archived or published, the value is replaced by a door
pseudonym: an HMAC-SHA256, under the deployment's own secret, of the publishing partner and the
reference, so the same person published twice by the same partner gets the same pseudonym, and
the same reference from two partners (who each number their own residents) gets two. The
secret is made at random by migration 0011 and kept in `sharing_private.door_secret`, beside
the sharing secret and out of reach of the figures' reader; each process reads it once. Without
it, nobody can get from a pseudonym back to the reference, nor compute the pseudonym of a
reference to look for it: only a partner's own systems hold the references.

Refused bodies are kept as dead letters for the partner to follow up; any `person_ref` in them
is redacted (not pseudonymised: a refused body may not even be JSON, and the partner knows its
own cases by the event id and request id kept beside it).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from functools import cache
from typing import Any

import psycopg
from psycopg import AsyncConnection

from schemas import Event
from services.sharing.minimise import PERSON_REF

DOOR_PREFIX = "pr-"
KEY_SQL = "SELECT key FROM sharing_private.door_secret"
REDACTED = b"redacted"
# A `person_ref` key in any body, even one that is not JSON or holds JSON inside a string
# (escaped quotes), and its value: up to the next quote, or a bare token. A person_ref is an id,
# so it holds no quote.
_IN_A_BODY = re.compile(rb'(person_ref\\*"\s*:\s*)(?:(\\*)"[^"]*"?|[^\s,}\]"\\]+)', re.IGNORECASE)


class NoDoorSecret(RuntimeError):
    """The database has no door secret: its migrations have not been applied."""


def door_pseudonym(key: bytes, partner: str, person_ref: str) -> str:
    """`person_ref` as published by `partner`, as Tandem keeps it: `pr-` and 32 hex digits, an
    id like any other (the contract's id pattern)."""
    keyed = _keyed(key).copy()
    keyed.update("\x00".join((partner, person_ref)).encode())
    return DOOR_PREFIX + keyed.hexdigest()[:32]


@cache
def _keyed(key: bytes) -> hmac.HMAC:
    """The HMAC with its key already hashed in: copying it is cheaper than making one."""
    return hmac.new(key, digestmod=hashlib.sha256)


def at_the_door(event: Event, key: bytes) -> Event:
    """`event` with its `person_ref`, if it has one, replaced by the door pseudonym."""
    person_ref = getattr(event.data, PERSON_REF, None)
    if not isinstance(person_ref, str):
        return event
    pseudonym = door_pseudonym(key, event.partner, person_ref)
    data = event.data.model_copy(update={PERSON_REF: pseudonym})
    return event.model_copy(update={"data": data})


def data_at_the_door(data: dict[str, Any], partner: str, key: bytes) -> dict[str, Any]:
    """An event's `data` as Python values, with its `person_ref` replaced the same way."""
    person_ref = data.get(PERSON_REF)
    if not isinstance(person_ref, str):
        return data
    return {**data, PERSON_REF: door_pseudonym(key, partner, person_ref)}


def redacted(body: bytes) -> bytes:
    """`body` with the value of every `person_ref` in it replaced by `redacted`."""
    return _IN_A_BODY.sub(_redact, body)


def _redact(match: re.Match[bytes]) -> bytes:
    escapes = match[2] or b""
    return match[1] + escapes + b'"' + REDACTED + escapes + b'"'


def door_key(conn: psycopg.Connection[Any]) -> bytes:
    return _key(conn.execute(KEY_SQL).fetchone())


async def door_key_async(conn: AsyncConnection[Any]) -> bytes:
    return _key(await (await conn.execute(KEY_SQL)).fetchone())


def _key(row: tuple[Any, ...] | None) -> bytes:
    if row is None:
        raise NoDoorSecret("no door secret: the database lacks migration 0011")
    return bytes(row[0])
