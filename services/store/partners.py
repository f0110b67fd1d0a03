"""Partners and their API tokens.

A token is `tdm_<token id>_<secret>`. Only a scrypt hash of the secret is stored, looked up by
the token id, so a stolen database does not yield working tokens.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

import psycopg

from schemas import Event, Problem
from services.store.verified_tokens import notify_revoked

TOKEN_PREFIX = "tdm"
SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}
DUMMY_ROW: tuple[object, ...] = (None, bytes(16), bytes(32))
"""Verified against when a token id is unknown, so that an unknown id costs the same hash as a
wrong secret: how long a refusal takes must not tell which token ids exist."""


@dataclass(frozen=True)
class Partner:
    id: str
    name: str


class PartnerExists(ValueError):
    pass


def hash_secret(secret: str, salt: bytes) -> bytes:
    return hashlib.scrypt(secret.encode(), salt=salt, **SCRYPT)


def split_token(token: str) -> tuple[str, str] | None:
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2]


def bearer_token(authorization: str) -> str | None:
    """The token of an `Authorization: Bearer <token>` value, or None."""
    scheme, _, token = authorization.partition(" ")
    return (token.strip() or None) if scheme.lower() == "bearer" else None


def add_partner(conn: psycopg.Connection[tuple[object, ...]], partner: Partner) -> str:
    """Register a partner and return its first token (shown once, never stored)."""
    with conn.transaction():
        inserted = conn.execute(
            "INSERT INTO partners (id, name) VALUES (%s, %s) ON CONFLICT DO NOTHING RETURNING id",
            (partner.id, partner.name),
        ).fetchone()
        if inserted is None:
            raise PartnerExists(f"partner {partner.id!r} already exists")
        return issue_token(conn, partner.id)


def issue_token(conn: psycopg.Connection[tuple[object, ...]], partner_id: str) -> str:
    token_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    salt = secrets.token_bytes(16)
    conn.execute(
        "INSERT INTO partner_tokens (token_id, partner, salt, hash) VALUES (%s, %s, %s, %s)",
        (token_id, partner_id, salt, hash_secret(secret, salt)),
    )
    return f"{TOKEN_PREFIX}_{token_id}_{secret}"


class UnknownPartner(LookupError):
    pass


def rotate_token(
    conn: psycopg.Connection[tuple[object, ...]], partner_id: str, keep_old: bool = False
) -> str:
    """A new token for the partner; its other tokens stop working unless `keep_old`."""
    with conn.transaction():
        if conn.execute("SELECT 1 FROM partners WHERE id = %s", (partner_id,)).fetchone() is None:
            raise UnknownPartner(f"no partner {partner_id!r}")
        if not keep_old:
            revoke_tokens(conn, partner_id)
        return issue_token(conn, partner_id)


def tokens_in_use(conn: psycopg.Connection[tuple[object, ...]], partner_id: str) -> int:
    row = conn.execute(
        "SELECT count(*) FROM partner_tokens WHERE partner = %s AND revoked_at IS NULL",
        (partner_id,),
    ).fetchone()
    assert row is not None and isinstance(row[0], int)
    return row[0]


def revoke_tokens(conn: psycopg.Connection[tuple[object, ...]], partner_id: str) -> int:
    """Revoke every token of the partner; return how many were in use."""
    with conn.transaction():
        cursor = conn.execute(
            "UPDATE partner_tokens SET revoked_at = now()"
            " WHERE partner = %s AND revoked_at IS NULL",
            (partner_id,),
        )
        notify_revoked(conn, partner_id)
        return cursor.rowcount


TOKEN_LOOKUP_SQL = (
    "SELECT partner, salt, hash FROM partner_tokens WHERE token_id = %s AND revoked_at IS NULL"
)


def verify_secret(secret: str, salt: bytes, stored: bytes) -> bool:
    return hmac.compare_digest(hash_secret(secret, salt), stored)


def verified_partner(row: tuple[object, ...] | None, secret: str) -> str | None:
    """The partner of a token row found by TOKEN_LOOKUP_SQL, if `secret` is that token's; with
    no row (an unknown token id), None after the same slow hash."""
    partner, salt, stored = DUMMY_ROW if row is None else row
    assert isinstance(salt, bytes) and isinstance(stored, bytes)
    matches = verify_secret(secret, salt, stored)
    return str(partner) if matches and row is not None else None


def impersonation(event: Event, partner_id: str, index: int | None = None) -> Problem | None:
    """The problem with an event that `partner_id` published in another partner's name."""
    if event.partner == partner_id:
        return None
    return Problem(
        index, event.id, "partner", f"is {event.partner!r} but the token belongs to {partner_id!r}"
    )
