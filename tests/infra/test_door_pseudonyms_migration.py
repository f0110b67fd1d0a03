"""Migration 0011 on a deployment that already holds raw person_refs: every migration before it
applied, raw data put where the platform kept it, then the rest applied. The SQL's pseudonyms
and redactions must be the Python's (services/authority/person_refs.py), computed here
independently."""

from __future__ import annotations

import hashlib
from typing import Any

import orjson
import psycopg
import pytest
from psycopg.types.json import Jsonb

from infra import migrate as migrations
from schemas import parse_event_obj
from services.authority.person_refs import door_key, door_pseudonym, redacted
from services.exercises.injects import inject_person_ref
from services.store.events import StoredEvent, append_in
from tests.support.person_ref_events import REFUSED, raised_data
from tests.support.person_ref_search import tables_holding
from tests.support.sharing_events import COUNCIL, FOODBANK, request_event, stock_event

MIGRATION = "0011_door_pseudonyms"
Conn = psycopg.Connection[Any]

# (partner, event id, raw person_ref): the same person twice from the council, the same
# reference from the foodbank (another person: each partner numbers its own).
RAISED = [
    (COUNCIL, "c-1", "nhs-111-222-3333"),
    (COUNCIL, "c-2", "nhs-111-222-3333"),
    (COUNCIL, "c-3", "nhs-444-555-6666"),
    (FOODBANK, "f-1", "nhs-111-222-3333"),
]
RAW = {ref for _, _, ref in RAISED} | {"nhs-1", "nhs-2", "nhs-9", "9434765919", "inj-7", "inj-{n}"}


def raised(partner: str, event_id: str, person_ref: str) -> dict[str, Any]:
    return request_event(
        "raised", event_id, partner, 0, request_id=f"r-{event_id}", **raised_data(person_ref)
    )


def hold_raw_person_refs(conn: Conn) -> None:
    """Raw person_refs where a deployment before 0011 kept them."""
    conn.execute(
        "INSERT INTO partners (id, name) VALUES (%s, 'Council'), (%s, 'Foodbank')",
        (COUNCIL, FOODBANK),
    )
    events = [raised(*r) for r in RAISED] + [stock_event("s-1", FOODBANK)]
    append_in(conn, [[StoredEvent.of(parse_event_obj(e))] for e in events])
    for event in events:
        conn.execute(
            "INSERT INTO archive (source, id, incident, time, type, partner, subject, body)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            (
                *(event[k] for k in ("source", "id", "incident", "time", "type", "partner")),
                event["subject"],
                Jsonb(event),
            ),
        )
        conn.execute(
            "INSERT INTO sharing_request_events (source, id, incident, request_id, partner,"
            " event) SELECT %s, %s, %s, %s, %s, %s WHERE %s",
            (
                *(event[k] for k in ("source", "id", "incident")),
                event["data"].get("request_id"),
                event["partner"],
                Jsonb(event),
                "request_id" in event["data"],
            ),
        )
    shared = {"id": "c-1", "data": {"person_ref": "pp-0123456789abcdef0123456789abcdef"}}
    conn.execute(
        "INSERT INTO inbox (recipient, source, id, event, shared_at)"
        " VALUES (%s, 's', 'c-1', %s, now())",
        (FOODBANK, Jsonb(shared)),
    )
    conn.execute(
        "INSERT INTO exercise_runs (run, incident, scenario_from, scenario_to)"
        " VALUES ('drill-1', 'covid-2020', '2020-04-01', '2020-04-02')"
    )
    effect = {
        "events": [
            {"type": "x", "partner": COUNCIL, "subject": "s", "data": {"person_ref": "inj-7"}},
            {"type": "x", "partner": FOODBANK, "subject": "s", "data": {"need": "food"}},
            {"type": "x", "partner": FOODBANK, "subject": "s", "data": {"person_ref": "inj-{n}"}},
        ],
        "suppress": None,
    }
    conn.execute(
        "INSERT INTO exercise_injects (run, inject_id, scenario_time, synopsis, effect)"
        " VALUES ('drill-1', 'i-1', '2020-04-01T10:00Z', 'a surge', %s)",
        (Jsonb(effect),),
    )
    for body, _ in REFUSED:
        conn.execute(
            "INSERT INTO dead_letters (channel, partner, status, problems, payload, size, sha256)"
            " VALUES ('http', %s, 422, '[]', %s, length(%s), sha256(%s))",
            (COUNCIL, body, body, body),
        )


def test_the_migration_pseudonymises_what_a_deployment_holds(
    unmigrated: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    every = migrations.migration_files()
    assert MIGRATION in [name for name, _ in every]
    before = [(name, text) for name, text in every if name < MIGRATION]
    with monkeypatch.context() as patch:
        patch.setattr(migrations, "migration_files", lambda: before)
        assert migrations.migrate(unmigrated) == [name for name, _ in before]
    with psycopg.connect(unmigrated) as conn:
        hold_raw_person_refs(conn)
        conn.commit()
        assert set(tables_holding(conn, RAW)) >= {
            "public.events",
            "public.archive",
            "public.dead_letters",
        }

    assert MIGRATION in migrations.migrate(unmigrated)

    with psycopg.connect(unmigrated) as conn:
        key = door_key(conn)
        assert len(key) == 32 and key != bytes(32)
        expected = {(p, i): door_pseudonym(key, p, ref) for p, i, ref in RAISED}
        assert expected[COUNCIL, "c-1"] == expected[COUNCIL, "c-2"] != expected[FOODBANK, "f-1"]
        for query in (
            "SELECT partner, id, body::jsonb #>> '{data,person_ref}' FROM events",
            "SELECT partner, id, body #>> '{data,person_ref}' FROM archive",
            "SELECT partner, id, event #>> '{data,person_ref}' FROM sharing_request_events",
        ):
            found = {(p, i): ref for p, i, ref in conn.execute(query) if ref is not None}
            assert found == expected, query
        (body,) = conn.execute("SELECT body FROM events WHERE id = 's-1'").fetchone() or ()
        assert orjson.loads(body) == stock_event("s-1", FOODBANK)  # nothing else changed
        (effect,) = conn.execute("SELECT effect FROM exercise_injects").fetchone() or ()
        assert [e["data"].get("person_ref") for e in effect["events"]] == [
            inject_person_ref(key, COUNCIL, "inj-7"),
            None,
            inject_person_ref(key, FOODBANK, "inj-{n}"),
        ]
        letters = conn.execute(
            "SELECT payload, size, sha256 FROM dead_letters ORDER BY seq"
        ).fetchall()
        assert [bytes(p) for p, _, _ in letters] == [redacted(body) for body, _ in REFUSED]
        # The size is the body's as sent; the digest, of the body as kept.
        assert [(size, bytes(digest)) for _, size, digest in letters] == [
            (len(body), hashlib.sha256(redacted(body)).digest()) for body, _ in REFUSED
        ]
        (shared,) = conn.execute("SELECT event FROM inbox").fetchone() or ()
        assert shared["data"]["person_ref"] == "pp-0123456789abcdef0123456789abcdef"
        assert tables_holding(conn, RAW) == {}
        # Kept like the sharing secret: never changed once made.
        with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
            conn.execute("UPDATE sharing_private.door_secret SET key = %s", (bytes(32),))
