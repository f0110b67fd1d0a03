"""Tables the relay publishes from, in commit order, and what each row becomes on the broker.

A row is read only once every transaction older than its own has ended (`tx` below the
snapshot's xmin), so an event committed late by a slow request is never skipped.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.streaming.topics import ACCEPTED, REJECTED, exercise_topic, inbox_topic


@dataclass(frozen=True)
class Outbox:
    name: str
    rows_sql: str  # (tx, seq, topic, key, value) after a (tx, seq) position, oldest first


def _rows_sql(table: str, topic: str, key: str, value: str, join: str = "") -> str:
    """`topic` is an SQL expression: a row may name its own topic (unprefixed).

    The position goes out as text under a name of its own: `ORDER BY` takes an output column's
    name before a table's, so an output named `tx` would sort the rows as text ('1000' before
    '999') and the position, taken from the last row, would pass over the rest of the batch."""
    return (
        f"SELECT {table}.tx::text AS position_tx, {table}.seq, {topic}, {key}, {value}"
        f" FROM {table}{join}"
        f" WHERE ({table}.tx, {table}.seq) > (%(tx)s::xid8, %(seq)s)"
        f"   AND {table}.tx < pg_snapshot_xmin(pg_current_snapshot())"
        f" ORDER BY {table}.tx, {table}.seq LIMIT %(limit)s"
    )


def _literal(topic: str) -> str:
    return f"'{topic}'"


# An event whose incident is an exercise run is a participant's move in that run: it goes to the
# run's topic, so live figures, the archive and the sharing never see it.
_RUN_TOPIC = _literal(exercise_topic("' || incident || '"))
EVENT_TOPIC = (
    "CASE WHEN EXISTS (SELECT FROM exercise_runs r WHERE r.run = events.incident)"
    f" THEN {_RUN_TOPIC} ELSE {_literal(ACCEPTED)} END"
)
EVENTS = Outbox("events", _rows_sql("events", EVENT_TOPIC, "subject", "body::text"))
# Stored events the reconciler found missing downstream, published again as they were.
REPUBLISH = Outbox(
    "republish",
    _rows_sql(
        "republish",
        EVENT_TOPIC,
        "events.subject",
        "events.body::text",
        join=" JOIN events USING (source, id)",
    ),
)
DEAD_LETTERS = Outbox(
    "dead_letters",
    _rows_sql(
        "dead_letters",
        _literal(REJECTED),
        "coalesce(partner, channel)",
        "json_build_object('received_at', received_at, 'channel', channel,"
        " 'partner', partner, 'status', status, 'problems', problems,"
        " 'size', size, 'sha256', encode(sha256, 'hex'),"
        " 'payload_base64', encode(payload, 'base64'))::text",
    ),
)
# What the router shared with each partner, to that partner's own topic, keyed by subject.
INBOXES = Outbox(
    "inbox",
    _rows_sql(
        "inbox", _literal(inbox_topic("' || recipient || '")), "event->>'subject'", "event::text"
    ),
)
OUTBOXES = (EVENTS, REPUBLISH, DEAD_LETTERS, INBOXES)
