"""Property: for random incidents — every event type, any arrival order, duplicates, late
events — the sitrep from the figures tables equals the reference computed from the spec."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schemas import parse_event_obj
from services.figures.sitrep import sitrep
from services.figures.writer import apply_batch
from tests.support.figures_tables import FIGURES_TABLES
from tests.support.places import load_places
from tests.support.reference.sitrep import Places, reference_sitrep

INCIDENT = "prop-incident"
START = datetime(2020, 3, 16, tzinfo=UTC)
# Ten days in whole hours: the 24h, 72h and 7-day windows all matter, and events often share
# an instant, so the tie-breaks matter too.
SPAN_HOURS = 10 * 24

PARTNERS = ("council", "foodbank", "mutual-aid")
REQUESTS = tuple(f"r{n}" for n in range(6))
VOLUNTEERS = tuple(f"v{n}" for n in range(4))
DEPLOYMENTS = tuple(f"d{n}" for n in range(4))
HUBS = ("hub-a", "hub-b")
# Loaded areas, an alias of one, and a value that names none (counted under `unknown`).
PLACES = Places(
    {"tolworth": "Tolworth", "norbiton": "Norbiton", "hook": "Hook"}, {"nor": "norbiton"}
)
AREAS = ("tolworth", "norbiton", "nor", "elsewhere")
NEEDS = ("food", "prescription", "befriending")
PRIORITIES = ("urgent", "high", "routine")
ITEMS = ("tinned", "fresh")

hours = st.integers(0, SPAN_HOURS)
quantity = st.integers(0, 60)


def request_data(kind: str) -> st.SearchStrategy[dict[str, Any]]:
    rid = st.sampled_from(REQUESTS)
    need, priority = st.sampled_from(NEEDS), st.sampled_from(PRIORITIES)
    shapes: dict[str, st.SearchStrategy[dict[str, Any]]] = {
        "raised": st.fixed_dictionaries(
            {
                "request_id": rid,
                "need": need,
                "priority": priority,
                "area": st.sampled_from(AREAS),
                "household_size": st.integers(1, 5),
                "shielding": st.booleans(),
                "channel": st.sampled_from(("helpline", "online")),
            }
        ),
        "triaged": st.fixed_dictionaries({"request_id": rid, "priority": priority, "need": need}),
        "referred": st.fixed_dictionaries(
            {"request_id": rid, "to_partner": st.sampled_from(PARTNERS)}
        ),
        "accepted": st.fixed_dictionaries({"request_id": rid}),
        "declined": st.fixed_dictionaries(
            {"request_id": rid, "reason": st.sampled_from(("no_capacity", "out_of_area"))}
        ),
        "fulfilled": st.fixed_dictionaries(
            {"request_id": rid}, optional={"volunteer_minutes": st.integers(0, 90)}
        ),
        "cancelled": st.fixed_dictionaries(
            {"request_id": rid, "reason": st.sampled_from(("withdrawn", "duplicate"))}
        ),
    }
    return shapes[kind]


VOLUNTEER_SHAPES: dict[str, st.SearchStrategy[dict[str, Any]]] = {
    "registered": st.fixed_dictionaries(
        {
            "volunteer_id": st.sampled_from(VOLUNTEERS),
            "skills": st.lists(st.sampled_from(("driving", "shopping")), unique=True),
            "areas": st.lists(st.sampled_from(AREAS), unique=True),
            "hours_per_week": st.integers(0, 20),
        }
    ),
    "availability": st.fixed_dictionaries(
        {"volunteer_id": st.sampled_from(VOLUNTEERS), "available": st.booleans()}
    ),
    "stood_down": st.fixed_dictionaries({"volunteer_id": st.sampled_from(VOLUNTEERS)}),
    "deployed": st.fixed_dictionaries(
        {
            "deployment_id": st.sampled_from(DEPLOYMENTS),
            "volunteer_id": st.sampled_from(VOLUNTEERS),
            "area": st.sampled_from(AREAS),
            "role": st.sampled_from(("delivery", "hub_shift")),
        }
    ),
    "checked_in": st.fixed_dictionaries({"deployment_id": st.sampled_from(DEPLOYMENTS)}),
    "checked_out": st.fixed_dictionaries(
        {"deployment_id": st.sampled_from(DEPLOYMENTS), "minutes": st.integers(0, 240)}
    ),
}

HUB_SHAPES: dict[str, st.SearchStrategy[dict[str, Any]]] = {
    "hub.status": st.fixed_dictionaries(
        {
            "hub_id": st.sampled_from(HUBS),
            "name": st.just("Hub"),
            "area": st.sampled_from(AREAS),
            "status": st.sampled_from(("open", "limited", "closed")),
            "parcels_per_day": st.integers(0, 200),
        }
    ),
    "stock.counted": st.fixed_dictionaries(
        {"hub_id": st.sampled_from(HUBS), "item": st.sampled_from(ITEMS), "quantity": quantity}
    ),
    "stock.received": st.fixed_dictionaries(
        {
            "hub_id": st.sampled_from(HUBS),
            "item": st.sampled_from(ITEMS),
            "quantity": quantity,
            "from": st.sampled_from(("donation", "purchase")),
        }
    ),
    "stock.distributed": st.fixed_dictionaries(
        {"hub_id": st.sampled_from(HUBS), "item": st.sampled_from(ITEMS), "quantity": quantity},
        optional={"households": st.integers(0, 9)},
    ),
}


def subject_of(kind: str, partner: str, data: dict[str, Any]) -> str:
    for key in ("request_id", "deployment_id", "volunteer_id", "hub_id"):
        if key in data and not (kind == "volunteer.deployed" and key == "volunteer_id"):
            return str(data[key])
    return partner if kind == "partner.capacity" else INCIDENT


@st.composite
def event(draw: st.DrawFn, n: int) -> dict[str, Any]:
    family = draw(st.sampled_from(("request", "volunteer", "hub", "partner", "incident")))
    if family == "request":
        step = draw(
            st.sampled_from(
                ("raised", "triaged", "referred", "accepted", "declined", "fulfilled", "cancelled")
            )
        )
        kind, data = f"request.{step}", draw(request_data(step))
    elif family == "volunteer":
        step = draw(st.sampled_from(sorted(VOLUNTEER_SHAPES)))
        kind, data = f"volunteer.{step}", draw(VOLUNTEER_SHAPES[step])
    elif family == "hub":
        kind = draw(st.sampled_from(sorted(HUB_SHAPES)))
        data = draw(HUB_SHAPES[kind])
    elif family == "partner":
        kind = "partner.capacity"
        data = {
            "need": draw(st.sampled_from(NEEDS)),
            "capacity_per_day": draw(quantity),
            "status": draw(st.sampled_from(("normal", "stretched", "overwhelmed"))),
        }
    else:
        kind, data = "incident.declared", {"name": "Flood", "level": draw(st.integers(1, 4))}
    partner = draw(st.sampled_from(PARTNERS))
    return {
        "specversion": "1.0",
        "id": f"e{n}",
        "source": f"/orgs/{partner}/system",
        "type": f"resilience.{kind}.v1",
        "time": (START + timedelta(hours=draw(hours))).isoformat(),
        "subject": subject_of(kind, partner, data),
        "partner": partner,
        "incident": INCIDENT,
        "data": data,
    }


@st.composite
def incident(draw: st.DrawFn) -> tuple[list[dict[str, Any]], list[list[dict[str, Any]]]]:
    """An incident's events, and the batches in which they arrive (shuffled, some re-sent)."""
    count = draw(st.integers(5, 80))
    events = [draw(event(n)) for n in range(count)]
    resent = draw(st.lists(st.sampled_from(events), max_size=15))
    arrival = draw(st.permutations(events + resent))
    cuts = sorted(draw(st.lists(st.integers(1, len(arrival)), max_size=6)))
    batches = [arrival[a:b] for a, b in zip([0, *cuts], [*cuts, len(arrival)], strict=True)]
    return events, [batch for batch in batches if batch]


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(incident(), st.lists(hours, min_size=1, max_size=4))
def test_sitrep_equals_the_reference_for_random_incidents(
    database_url: str,
    generated: tuple[list[dict[str, Any]], list[list[dict[str, Any]]]],
    probes: list[int],
) -> None:
    events, batches = generated
    for e in events:
        parse_event_obj(e)  # the generator itself keeps to the contract
    with psycopg.connect(database_url) as conn:
        if not conn.execute("SELECT FROM area_versions").fetchall():
            load_places(conn, PLACES)
        conn.execute(f"TRUNCATE {', '.join(FIGURES_TABLES)}")
        for batch in batches:
            apply_batch(conn, "live", batch)
            conn.commit()
        times = [START + timedelta(hours=h) for h in probes]
        times += [datetime.fromisoformat(e["time"]) for e in events[:4]]
        for at in times:
            got = sitrep(conn, INCIDENT, at).model_dump(mode="json", by_alias=True)
            assert got == reference_sitrep(events, INCIDENT, at, PLACES), at
