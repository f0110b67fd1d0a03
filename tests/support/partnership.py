"""The partnership the end-to-end tests start from: the council and the foodbank registered, and
the council's raised requests shared with the foodbank under an agreement in force today."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg

from services.sharing.agreements import Terms
from services.sharing.store import add_agreement
from services.store.partners import Partner, add_partner

COUNCIL, FOODBANK = "rbk-council", "kingston-foodbank"


def council_and_foodbank(conn: psycopg.Connection[tuple[object, ...]]) -> tuple[str, str]:
    """Register both and agree that the foodbank gets the council's raised requests (request_id,
    need and area, pseudonymised) from yesterday for 90 days; return their tokens, the council's
    first."""
    council = add_partner(conn, Partner(COUNCIL, "Council"))
    foodbank = add_partner(conn, Partner(FOODBANK, "Foodbank"))
    today = datetime.now(UTC).date()
    add_agreement(
        conn,
        Terms(
            COUNCIL,
            FOODBANK,
            ("resilience.request.raised.v1",),
            ("request_id", "need", "area"),
            "food parcels for shielding residents",
            True,
            today - timedelta(days=1),
            today + timedelta(days=90),
        ),
    )
    return council, foodbank
