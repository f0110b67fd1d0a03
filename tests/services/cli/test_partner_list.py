"""`tandem partner list`: each partner with its tokens in use and when it last published."""

from __future__ import annotations

from pathlib import Path

import psycopg

from services.store.partners import Partner, add_partner, revoke_tokens, rotate_token
from tests.support.figures_tables import load
from tests.support.servers import tandem
from tests.support.sitrep_events import raised


def test_each_partner_with_its_tokens_and_latest_event(database_url: str, tmp_path: Path) -> None:
    with psycopg.connect(database_url) as conn:
        add_partner(conn, Partner("council", "The Council"))
        rotate_token(conn, "council", keep_old=True)  # two in use
        add_partner(conn, Partner("foodbank", "Food Bank"))
        revoke_tokens(conn, "foodbank")
        add_partner(conn, Partner("quiet", "Quiet One"))
        load(
            conn,
            [
                raised("r-1", "2020-04-01T09:00:00Z", incident="covid-2020"),
                raised("r-2", "2020-04-06T09:30:15Z", incident="covid-2020"),
                raised("r-3", "2020-04-02T10:00:00Z", incident="flood-2020", partner="foodbank"),
            ],
        )
    listed = tandem(database_url, tmp_path, "partner", "list")
    assert listed.returncode == 0, listed.stderr
    header, *rows = listed.stdout.splitlines()
    assert header.split() == [
        "partner",
        "name",
        "tokens",
        "in",
        "use",
        "events",
        "last",
        "published",
    ]
    assert [row.split() for row in rows] == [
        ["council", "The", "Council", "2", "2", "6", "April", "2020", "09:30:15", "UTC"],
        ["foodbank", "Food", "Bank", "0", "1", "2", "April", "2020", "10:00", "UTC"],
        ["quiet", "Quiet", "One", "1", "0", "never"],
    ]
