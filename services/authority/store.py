"""The roles in PostgreSQL, judged and written in the transaction that stores the events, by
every writer of the event store (the gateway's group commit, the inbound service).

One transaction-level advisory lock, taken first, serialises judging and storing across
writers and processes: a judgement reads the roles as every earlier commit left them, and its
own become visible with its events. One lock, not one per entity: a group commit can touch
thousands of entities, more than PostgreSQL's lock table is sized for. The lock and the read
go in one round trip, pipelined, yet as two statements, so the read's snapshot is taken once
the lock is held.

Only the events that could establish a role (about an entity no one owns yet, or a referral)
are looked up in the store: a duplicate of a stored event establishes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg
from psycopg import AsyncConnection

from services.authority.rules import Act, Key, Refusal, Roles, admit, may_establish

LOCK_SQL = "SELECT pg_advisory_xact_lock(hashtextextended('tandem:authority', 0))"
STORED_SQL = (
    "SELECT source, id FROM events"
    " WHERE (source, id) IN (SELECT * FROM unnest(%s::text[], %s::text[]))"
)
# The roles of the entities asked for; in an exercise run, those of the incident it replays too.
ROLES_SQL = """
WITH wanted AS (
    SELECT DISTINCT * FROM unnest(%s::text[], %s::text[], %s::text[]) AS w (incident, kind, entity)
), scoped AS (
    SELECT w.*, w.incident AS at, false AS replayed FROM wanted w
    UNION ALL
    SELECT w.*, r.incident, true FROM wanted w JOIN exercise_runs r ON r.run = w.incident
)
SELECT s.incident, s.kind, s.entity, s.replayed, o.partner, false
FROM scoped s
JOIN authority_owners o ON (o.incident, o.kind, o.entity) = (s.at, s.kind, s.entity)
UNION ALL
SELECT s.incident, s.kind, s.entity, s.replayed, i.partner, true
FROM scoped s JOIN authority_involvement i ON (i.incident, i.request_id) = (s.at, s.entity)
WHERE s.kind = 'request'
"""
LEARN_SQL = """
WITH owners AS (
    INSERT INTO authority_owners (incident, kind, entity, partner)
    SELECT * FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[])
    ON CONFLICT DO NOTHING
)
INSERT INTO authority_involvement (incident, request_id, partner)
SELECT * FROM unnest(%s::text[], %s::text[], %s::text[])
ON CONFLICT DO NOTHING
"""

Units = Sequence[Sequence[Act]]


def _columns_of(keys: set[Key]) -> tuple[list[str], list[str]]:
    return [source for source, _ in keys], [id_ for _, id_ in keys]


def _claimed(units: Units) -> tuple[list[str], list[str], list[str]]:
    claimed = {claim.owned for unit in units for act in unit for claim in act.claims}
    return [c[0] for c in claimed], [c[1] for c in claimed], [c[2] for c in claimed]


def _learned(roles: Roles) -> tuple[list[str], ...]:
    owners = [(*owned, partner) for owned, partner in roles.new_owners.items()]
    involved = sorted(roles.new_involved)
    return (*_columns(owners, 4), *_columns(involved, 3))


def _columns(rows: Sequence[tuple[str, ...]], width: int) -> tuple[list[str], ...]:
    return tuple([row[n] for row in rows] for n in range(width))


def judge_in(conn: psycopg.Connection[Any], units: Units) -> list[Refusal | None]:
    """Judge `units` in turn (see rules.admit) and record the roles the accepted ones
    establish, within the caller's transaction, which must then store exactly the accepted
    units' events that are not stored yet. Holds the authority lock until it ends."""
    with conn.pipeline():
        conn.execute(LOCK_SQL)
        known = conn.execute(ROLES_SQL, _claimed(units))
    roles = Roles.known(known.fetchall())
    stored: set[Key] = set()
    if candidates := may_establish(units, roles):
        found = conn.execute(STORED_SQL, _columns_of(candidates)).fetchall()
        stored = {(str(s), str(i)) for s, i in found}
    verdicts = admit(units, roles, stored)
    if roles.new_owners or roles.new_involved:
        conn.execute(LEARN_SQL, _learned(roles))
    return verdicts


async def judge_in_async(conn: AsyncConnection[Any], units: Units) -> list[Refusal | None]:
    """`judge_in` for asyncio."""
    async with conn.pipeline():
        await conn.execute(LOCK_SQL)
        known = await conn.execute(ROLES_SQL, _claimed(units))
    roles = Roles.known(await known.fetchall())
    stored: set[Key] = set()
    if candidates := may_establish(units, roles):
        found = await (await conn.execute(STORED_SQL, _columns_of(candidates))).fetchall()
        stored = {(str(s), str(i)) for s, i in found}
    verdicts = admit(units, roles, stored)
    if roles.new_owners or roles.new_involved:
        await conn.execute(LEARN_SQL, _learned(roles))
    return verdicts
