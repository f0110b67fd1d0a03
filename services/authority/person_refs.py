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
own cases by the event id and request id kept beside it). A body is whatever a partner sent, so
the name is found however it is spelled (any case, JSON `\\u` escapes, %-encoded), its value
however it is written (quoted with escaped quotes inside, bare, after `:` or `=`), and a mention
with no value beside it (a CSV header, whose values come on later lines) ends what is kept.
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


def _spelled(name: str) -> bytes:
    """A pattern of `name` as a body may spell it: each character as itself, as a JSON `\\u`
    escape (behind any number of backslashes: JSON held in a string) or %-encoded. A run of
    backslashes is only tried from its start, so a body of them costs linear time."""
    pattern = b""
    for char in name:
        codes = sorted({ord(char.lower()), ord(char.upper())})
        spellings = [re.escape(char.encode())]
        spellings += [rb"(?<!\\)\\++u00%02x|%%%02x" % (code, code) for code in codes]
        pattern += b"(?:" + b"|".join(spellings) + b")"
    return pattern


def _mention(name: bytes) -> re.Pattern[bytes]:
    """The name, then, when it is a key, its closing quote (escaped, for JSON held in a string)
    and `:` or `=` (JSON, YAML, a form); a value follows the key, read by `_value_end`."""
    return re.compile(name + rb'(?P<key>\\*"?\s*[:=]\s*)?', re.IGNORECASE)


# A body with no escape in it can only spell the name plainly: a literal is found much faster.
_PLAIN = _mention(PERSON_REF.encode())
_SPELLED = _mention(_spelled(PERSON_REF))
_ESCAPE = re.compile(rb"\\u|%", re.IGNORECASE)
_OPENING = re.compile(rb'(\\*)"')  # a quote, and the run of backslashes before it
_BARE = re.compile(rb'[^\s,;&}\]"\\]*')


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
    if PERSON_REF not in type(event.data).model_fields:
        return event  # asked of the class: a pydantic model is slow to say it lacks a field
    person_ref = getattr(event.data, PERSON_REF)
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
    """`body` with the value of every `person_ref` in it replaced by `redacted`, and cut short
    at a mention of one that is not a key (its value could be anywhere after it)."""
    kept, at = [], 0
    mentions = _SPELLED if _ESCAPE.search(body) else _PLAIN
    for mention in mentions.finditer(body):
        if mention.start() < at:
            continue  # inside a value already redacted
        kept.append(body[at : mention.start()])
        if mention["key"] is None:
            kept.append(REDACTED)
            return b"".join(kept)
        kept.append(mention[0])
        opening = _OPENING.match(body, mention.end())
        escapes = opening[1] if opening else b""
        kept.append(escapes + b'"' + REDACTED + escapes + b'"')
        at = _value_end(body, mention.end(), opening)
    kept.append(body[at:])
    return b"".join(kept)


def _value_end(body: bytes, start: int, opening: re.Match[bytes] | None) -> int:
    """Where the value starting at `start` ends: a bare token, or a quoted string (opened by
    `opening`) up to its closing quote, or the end of the body if it was cut short. In JSON
    held in n levels of strings a quote is opened and closed behind 2**n - 1 backslashes; a
    quote of the value itself is escaped behind more, so the run before a closing quote is the
    opening's modulo twice the opening's plus one."""
    if opening is None:
        bare = _BARE.match(body, start)
        assert bare is not None  # the pattern matches the empty string
        return bare.end()
    run = len(opening[1])
    for quote in _OPENING.finditer(body, opening.end()):
        if len(quote[1]) % (2 * (run + 1)) == run:
            return quote.end()
    return len(body)


def door_key(conn: psycopg.Connection[Any]) -> bytes:
    return _key(conn.execute(KEY_SQL).fetchone())


async def door_key_async(conn: AsyncConnection[Any]) -> bytes:
    return _key(await (await conn.execute(KEY_SQL)).fetchone())


def _key(row: tuple[Any, ...] | None) -> bytes:
    if row is None:
        raise NoDoorSecret("no door secret: the database lacks migration 0011")
    return bytes(row[0])
