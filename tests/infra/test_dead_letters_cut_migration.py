"""Migration 0017 on a deployment whose dead letters 0011 redacted: a body that spelled a
person_ref in a way 0011 did not know keeps no reference once it has run, and a body 0011 left
with nothing but `"person_ref": "redacted"` is left as it was."""

from __future__ import annotations

import hashlib

import psycopg
import pytest

from infra import migrate as migrations
from services.authority.person_refs import redacted
from tests.support.person_ref_events import EVADING, REFUSED

MIGRATION = "0017_dead_letters_cut"


def test_dead_letters_0011_left_a_reference_in_are_cut_at_their_first_mention(
    unmigrated: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    every = migrations.migration_files()
    assert MIGRATION in [name for name, _ in every]
    before = [(name, text) for name, text in every if name < "0011"]
    with monkeypatch.context() as patch:
        patch.setattr(migrations, "migration_files", lambda: before)
        migrations.migrate(unmigrated)
    bodies = [body for body, _ in REFUSED] + [body for body, _ in EVADING]
    with psycopg.connect(unmigrated) as conn:
        conn.execute("INSERT INTO partners (id, name) VALUES ('rbk-council', 'Council')")
        for body in bodies:
            conn.execute(
                "INSERT INTO dead_letters"
                " (channel, partner, status, problems, payload, size, sha256)"
                " VALUES ('http', 'rbk-council', 422, '[]', %s, length(%s), sha256(%s))",
                (body, body, body),
            )

    assert MIGRATION in migrations.migrate(unmigrated)

    with psycopg.connect(unmigrated) as conn:
        letters = [
            (bytes(payload), size, bytes(digest))
            for payload, size, digest in conn.execute(
                "SELECT payload, size, sha256 FROM dead_letters ORDER BY seq"
            )
        ]
    kept, cut = letters[: len(REFUSED)], letters[len(REFUSED) :]
    # What 0011 redacted in full stays as 0011 left it: the door's redaction of the body.
    assert [payload for payload, _, _ in kept] == [redacted(body) for body, _ in REFUSED]
    for (body, reference), (payload, size, digest) in zip(EVADING, cut, strict=True):
        assert reference not in payload, payload
        assert payload.endswith(b"redacted") and size == len(body)
        assert body.startswith(payload.removesuffix(b"redacted")), payload
        assert digest == hashlib.sha256(payload).digest()
