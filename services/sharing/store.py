"""Sharing kept in PostgreSQL: agreements with their history, the pseudonym key, the request
lifecycles referrals need, each partner's inbox and the audit of every share.

Nothing here commits except `add_agreement` and `revoke_agreement`: `share_batch` writes in the
caller's transaction, so a consumer records its position with what it shared.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
import psycopg
from psycopg.types.json import Jsonb

from schemas.wire import AcceptedEvent
from services.sharing.accepted import Accepted
from services.sharing.agreements import Agreement, Terms, problems_with
from services.sharing.decide import Share, decide
from services.sharing.referrals import request_of

log = logging.getLogger(__name__)

Conn = psycopg.Connection[Any]
Request = tuple[str, str]

AGREEMENTS_LOCK = "tandem:sharing-agreements"
INBOX_LOCK = "tandem:inbox:"


class AgreementError(ValueError):
    """An agreement cannot be made or revoked; the message says why, in one line."""


@dataclass(frozen=True)
class InboxEntry:
    """An event shared with `recipient`; `seq` is its position in the recipient's feed."""

    recipient: str
    seq: int
    event: dict[str, Any]
    shared_at: datetime


def sharing_key(conn: Conn) -> bytes:
    """The secret key of pseudonyms, made at random the first time it is asked for."""
    conn.execute(
        "INSERT INTO sharing_private.sharing_secret (key) SELECT %s"
        " WHERE NOT EXISTS (SELECT FROM sharing_private.sharing_secret)"
        " ON CONFLICT DO NOTHING",
        (secrets.token_bytes(32),),
    )
    row = conn.execute("SELECT key FROM sharing_private.sharing_secret").fetchone()
    assert row is not None
    return bytes(row[0])


AGREEMENTS_SQL = """
SELECT a.id, a.from_partner, a.to_partner, a.types, a.fields, a.purpose, a.pseudonymise,
       a.starts, a.review_by, a.created_at, r.revoked_at
FROM sharing_agreements a LEFT JOIN sharing_agreement_revocations r ON r.agreement_id = a.id
"""


def _agreement(row: tuple[Any, ...]) -> Agreement:
    terms = Terms(row[1], row[2], tuple(row[3]), tuple(row[4]), *row[5:9])
    return Agreement(row[0], terms, row[9], row[10])


def agreements(conn: Conn) -> list[Agreement]:
    """Every agreement ever made, revoked ones too, oldest first."""
    rows = conn.execute(AGREEMENTS_SQL + " ORDER BY a.created_at, a.id").fetchall()
    return [_agreement(row) for row in rows]


def add_agreement(conn: Conn, terms: Terms) -> Agreement:
    """Make an agreement from `terms`, or raise AgreementError. Two unrevoked agreements
    from the same partner to the same partner may not share a type: one flow, one agreement."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (AGREEMENTS_LOCK,))
        partners = {
            str(row[0])
            for row in conn.execute(
                "SELECT id FROM partners WHERE id = ANY(%s)",
                ([terms.from_partner, terms.to_partner],),
            )
        }
        problems = problems_with(terms, partners)
        if problems:
            raise AgreementError("; ".join(problems))
        for other in agreements(conn):
            overlap = set(other.terms.types) & set(terms.types)
            if (
                other.revoked_at is None
                and (other.terms.from_partner, other.terms.to_partner)
                == (terms.from_partner, terms.to_partner)
                and overlap
            ):
                raise AgreementError(
                    f"agreement {other.id} already shares {', '.join(sorted(overlap))} from "
                    f"{terms.from_partner} to {terms.to_partner}: revoke it first"
                )
        agreement_id = f"dsa-{secrets.token_hex(4)}"
        conn.execute(
            "INSERT INTO sharing_agreements (id, from_partner, to_partner, types, fields,"
            " purpose, pseudonymise, starts, review_by)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (
                agreement_id,
                terms.from_partner,
                terms.to_partner,
                list(terms.types),
                list(terms.fields),
                terms.purpose.strip(),
                terms.pseudonymise,
                terms.starts,
                terms.review_by,
            ),
        )
        return _one_agreement(conn, agreement_id)


def _one_agreement(conn: Conn, agreement_id: str) -> Agreement:
    row = conn.execute(AGREEMENTS_SQL + " WHERE a.id = %s", (agreement_id,)).fetchone()
    if row is None:
        raise AgreementError(f"no agreement {agreement_id!r}")
    return _agreement(row)


def revoke_agreement(conn: Conn, agreement_id: str) -> Agreement:
    """Revoke an agreement now: events accepted from now on are not shared under it."""
    with conn.transaction():
        revoked = conn.execute(
            "INSERT INTO sharing_agreement_revocations (agreement_id)"
            " SELECT id FROM sharing_agreements WHERE id = %s"
            " ON CONFLICT DO NOTHING RETURNING agreement_id",
            (agreement_id,),
        ).fetchone()
        agreement = _one_agreement(conn, agreement_id)
    if revoked is None:
        raise AgreementError(f"agreement {agreement_id} was revoked at {agreement.revoked_at}")
    return agreement


def record_lifecycle(conn: Conn, events: Iterable[Mapping[str, Any]]) -> None:
    """Keep the request lifecycle events among `events` (others are ignored), each once."""
    rows = [
        (e["source"], e["id"], *request, e["partner"], Jsonb(dict(e)))
        for e in events
        if (request := request_of(e)) is not None
    ]
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO sharing_request_events (source, id, incident, request_id, partner, event)"
            " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
            rows,
        )


LIFECYCLES_SQL = """
SELECT s.incident, s.request_id, s.event, e.received_at, e.tx::text, e.seq
FROM sharing_request_events s JOIN events e USING (source, id)
WHERE (s.incident, s.request_id) IN (SELECT * FROM unnest(%s::text[], %s::text[]))
"""


def lifecycles(conn: Conn, requests: Iterable[Request]) -> dict[Request, list[Accepted]]:
    """The recorded lifecycle events of each (incident, request_id), as the store accepted them."""
    wanted = sorted(set(requests))
    found: dict[Request, list[Accepted]] = {request: [] for request in wanted}
    if wanted:
        rows = conn.execute(LIFECYCLES_SQL, ([i for i, _ in wanted], [r for _, r in wanted]))
        for incident, request_id, event, at, tx, seq in rows:
            found[incident, request_id].append(Accepted(event, at, (int(tx), seq)))
    return found


ACCEPTED_SQL = """
SELECT k.ord, e.received_at, e.tx::text, e.seq
FROM unnest(%s::text[], %s::text[]) WITH ORDINALITY AS k(source, id, ord)
JOIN events e USING (source, id)
"""


def acceptances(conn: Conn, events: list[dict[str, Any]]) -> list[Accepted]:
    """`events` as the event store accepted them, in the same order. One the store does not
    hold cannot be judged, so it is left out (and logged): only the relay publishes to
    `events.accepted`, from the store, so it means a topic that belongs to another database."""
    rows = conn.execute(ACCEPTED_SQL, ([e["source"] for e in events], [e["id"] for e in events]))
    found = {int(ord_): (at, (int(tx), seq)) for ord_, at, tx, seq in rows}
    for ord_, event in enumerate(events, start=1):
        if ord_ not in found:
            log.warning(
                "event not in the event store: not shared",
                extra={"source": event["source"], "event_id": event["id"]},
            )
    return [Accepted(e, *found[o]) for o, e in enumerate(events, start=1) if o in found]


RECORD_SQL = """
WITH incoming AS (
    SELECT * FROM jsonb_to_recordset(%(shares)s::jsonb) AS s(
        ord int, recipient text, source text, id text, provider text, type text, incident text,
        request_id text, agreement_id text, referral_source text, referral_id text, event jsonb)
), fresh AS (
    INSERT INTO inbox (recipient, source, id, event, shared_at)
    SELECT s.recipient, s.source, s.id, s.event, %(at)s
    FROM incoming s JOIN partners p ON p.id = s.recipient
    ORDER BY s.ord
    ON CONFLICT (recipient, source, id) DO NOTHING
    RETURNING recipient, seq, source, id, event, shared_at
), audited AS (
    INSERT INTO sharing_audit (recipient, source, id, provider, type, incident, request_id,
        agreement_id, referral_source, referral_id, inbox_seq, shared_at)
    SELECT s.recipient, s.source, s.id, s.provider, s.type, s.incident, s.request_id,
        s.agreement_id, s.referral_source, s.referral_id, f.seq, f.shared_at
    FROM fresh f JOIN incoming s USING (recipient, source, id)
)
SELECT recipient, seq, event, shared_at FROM fresh ORDER BY seq
"""


def record_shares(conn: Conn, shares: Iterable[Share], at: datetime) -> list[InboxEntry]:
    """Put each share in its recipient's inbox and the audit, unless that recipient already
    has that event; return the inbox entries added. Shares to unregistered partners are
    dropped. Takes each recipient's inbox lock until the caller's transaction ends."""
    first: dict[tuple[str, str, str], Share] = {}
    for share in shares:
        first.setdefault(share.key, share)
    if not first:
        return []
    for recipient in sorted({share.recipient for share in first.values()}):
        conn.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (INBOX_LOCK + recipient,)
        )
    rows = [_share_row(ord_, share) for ord_, share in enumerate(first.values())]
    entries = conn.execute(RECORD_SQL, {"shares": orjson.dumps(rows).decode(), "at": at}).fetchall()
    return [InboxEntry(*row) for row in entries]


def _share_row(ord_: int, share: Share) -> dict[str, Any]:
    event = share.event
    referral = None if isinstance(share.basis, str) else share.basis
    return {
        "ord": ord_,
        "recipient": share.recipient,
        "source": event["source"],
        "id": event["id"],
        "provider": event["partner"],
        "type": event["type"],
        "incident": event["incident"],
        "request_id": share.request_id,
        "agreement_id": share.basis if isinstance(share.basis, str) else None,
        "referral_source": referral.source if referral else None,
        "referral_id": referral.id if referral else None,
        "event": event,
    }


def share_batch(conn: Conn, events: Iterable[AcceptedEvent]) -> list[InboxEntry]:
    """Decide and record the shares of a batch of accepted events, in the caller's
    transaction; return the inbox entries added (what to publish to `partner.{id}.inbox`).
    Each event is judged as the store accepted it (when, and after what), so processing the
    same events again, in any batches, adds nothing."""
    batch = acceptances(conn, [_decoded(event) for event in events])
    key = sharing_key(conn)
    every_agreement = agreements(conn)
    record_lifecycle(conn, (accepted.event for accepted in batch))
    known = lifecycles(conn, (r for a in batch if (r := request_of(a.event)) is not None))
    shares = [
        share
        for accepted in batch
        for share in decide(accepted, every_agreement, _lifecycle_of(accepted.event, known), key)
    ]
    row = conn.execute("SELECT clock_timestamp()").fetchone()
    assert row is not None
    return record_shares(conn, shares, row[0])


def _lifecycle_of(event: Mapping[str, Any], known: dict[Request, list[Accepted]]) -> list[Accepted]:
    request = request_of(event)
    return [] if request is None else known[request]


def _decoded(event: AcceptedEvent) -> dict[str, Any]:
    if isinstance(event, bytes | str):
        decoded: dict[str, Any] = orjson.loads(event)
        return decoded
    return dict(event)


READ_INBOX_SQL = (
    "SELECT recipient, seq, event, shared_at FROM inbox"
    " WHERE recipient = %s AND seq > %s ORDER BY seq LIMIT %s"
)


def read_inbox(conn: Conn, recipient: str, after: int = 0, limit: int = 1000) -> list[InboxEntry]:
    """What `recipient` was given after feed position `after`, in order, at most `limit`."""
    rows = conn.execute(READ_INBOX_SQL, (recipient, after, limit)).fetchall()
    return [InboxEntry(*row) for row in rows]
