"""Writes each batch read from `events.inbound`: its events to the event store (the relay then
publishes them to `events.accepted`), its refusals to the dead letters (and so to
`events.rejected`). The Kafka transport commits this with the batch's positions, in one
transaction: a message's effect is kept once, whatever fails when."""

from __future__ import annotations

import logging

from schemas import Event
from schemas.wire import dropped_by_id
from services.authority.person_refs import at_the_door, door_key
from services.inbound.admission import InboundMessage, admit, dead_letter, unreadable
from services.store.dead_letters import DeadLetter, record_all
from services.store.events import StoredEvent, append_in
from services.store.partners import TOKEN_LOOKUP_SQL, split_token, verified_partner
from services.store.token_failures import TokenFailures
from services.store.verified_tokens import VerifiedTokens
from services.streaming.batches import Batch, Record
from services.streaming.positions import Conn

log = logging.getLogger(__name__)

HOLDER_SQL = "SELECT partner FROM partner_tokens WHERE token_id = %s"


class InboundWriter:
    def __init__(self) -> None:
        self.verified = VerifiedTokens()  # trusted while a RevocationListener beats for it
        self.failures = TokenFailures()
        self.door_key: bytes | None = None

    def __call__(self, conn: Conn, batch: Batch) -> None:
        # Every outcome is remembered for the batch, failures too: a burst of messages with
        # one wrong token costs one slow hash, not one each.
        checked: dict[str, str | None] = {}

        def partner_for(token: str) -> str | None:
            if token not in checked:
                checked[token] = self._verified(conn, token)
            return checked[token]

        def holder_of(token: str) -> str | None:
            parts = split_token(token)
            if parts is None:
                return None
            row = conn.execute(HOLDER_SQL, (parts[0],)).fetchone()
            return None if row is None else str(row[0])

        admitted: list[tuple[Record, Event]] = []
        refused: list[DeadLetter] = []
        for record in batch.records:
            message = InboundMessage(record.headers, record.value, record.key)
            outcome = admit(message, partner_for, holder_of)
            if isinstance(outcome, DeadLetter):
                refused.append(_logged(record, outcome))
            else:
                admitted.append((record, outcome))
        if self.door_key is None:
            self.door_key = door_key(conn)
        door = self.door_key
        # One message is one unit of the judgement of who may say what.
        units = [[StoredEvent.of(at_the_door(event, door))] for _, event in admitted]
        appended = append_in(conn, units)
        events: list[Event] = []
        for (record, event), verdict in zip(admitted, appended.verdicts, strict=True):
            if verdict is None:
                events.append(event)
            else:
                letter = dead_letter(event.partner, verdict.status, record.value, verdict.problems)
                refused.append(_logged(record, letter))
        record_all(conn, refused)
        log.info(
            "inbound batch written",
            extra={
                "accepted": appended.new,
                "duplicates": len(events) - appended.new,
                "refused": len(refused),
            },
        )
        dropped = dropped_by_id(events)
        if dropped:
            # A producer on Kafka gets no answer, so this is where it can learn what was cut:
            # the names only, never their values.
            log.info(
                "extensions dropped",
                extra={
                    "partners": sorted({e.partner for e in events if e.dropped_extensions}),
                    "events": len(dropped),
                    "extensions": sorted({name for names in dropped.values() for name in names}),
                },
            )

    def _verified(self, conn: Conn, token: str) -> str | None:
        """As the gateway verifies: remembered until revoked, failures throttled per token id
        (a throttled token's messages are refused like a wrong one's, without the hash)."""
        partner = self.verified.partner(token)
        parts = split_token(token)
        if partner is not None or parts is None or self.failures.attempt(parts[0]):
            return partner
        token_id, secret = parts
        generation = self.verified.generation
        partner = verified_partner(conn.execute(TOKEN_LOOKUP_SQL, (token_id,)).fetchone(), secret)
        if partner is not None:
            self.failures.succeeded(token_id)
            self.verified.remember(token, partner, generation)
        return partner


def _logged(record: Record, letter: DeadLetter) -> DeadLetter:
    log.warning(
        "message refused",
        extra={
            "partition": record.partition,
            "offset": record.offset,
            "partner": letter.partner,
            "status": letter.status,
            "fields": sorted({p.field for p in letter.problems}),
        },
    )
    return letter


def record_unreadable(conn: Conn, partition: int, offset: int, reason: str) -> None:
    record_all(conn, [unreadable(partition, offset, reason)])
