"""Tables the relay publishes from, in commit order, and what each row becomes on the broker.

A row is read only once every transaction older than its own has ended (`tx` below the
snapshot's xmin), so an event committed late by a slow request is never skipped.
"""

from __future__ import annotations

from dataclasses import dataclass

from infra.topics import ACCEPTED, REJECTED, exercise_topic


@dataclass(frozen=True)
class Outbox:
    name: str
    rows_sql: str  # (tx, seq, topic, key, value) after a (tx, seq) position, oldest first


def _rows_sql(table: str, topic: str, key: str, value: str) -> str:
    """`topic` is an SQL expression: a row may name its own topic (unprefixed)."""
    return (
        f"SELECT tx::text, seq, {topic}, {key}, {value} FROM {table}"
        " WHERE (tx, seq) > (%(tx)s::xid8, %(seq)s)"
        "   AND tx < pg_snapshot_xmin(pg_current_snapshot())"
        " ORDER BY tx, seq LIMIT %(limit)s"
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
DEAD_LETTERS = Outbox(
    "dead_letters",
    _rows_sql(
        "dead_letters",
        _literal(REJECTED),
        "coalesce(partner, channel)",
        "json_build_object('received_at', received_at, 'channel', channel,"
        " 'partner', partner, 'status', status, 'problems', problems,"
        " 'payload_base64', encode(payload, 'base64'))::text",
    ),
)
# What the router shared with each partner, to that partner's own topic, keyed by subject.
INBOXES = Outbox(
    "inbox",
    _rows_sql("inbox", "'partner.' || recipient || '.inbox'", "event->>'subject'", "event::text"),
)
OUTBOXES = (EVENTS, DEAD_LETTERS, INBOXES)
