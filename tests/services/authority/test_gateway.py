"""Who may say what, over HTTP, tried as a hostile partner would: in structured, binary and
batch mode, alone and among other partners' concurrent requests sharing a group commit."""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import psycopg
import pytest

from services.exercises.runs import Run, create_run
from services.settings import Settings
from services.simulate import Scenario, build
from services.simulate.demo_stream import stream
from services.store.partners import Partner, add_partner
from tests.support.authority_events import (
    Event,
    binary,
    capacity,
    deployment,
    event,
    hub,
    request,
    volunteer,
)
from tests.support.gateway_http import SINGLE, Gateway, gateway_for
from tests.support.servers import running_gateway

FOODBANK, COUNCIL, HOSTILE, MUTUAL_AID = (
    "kingston-foodbank",
    "rbk-council",
    "rogue-org",
    "surbiton-mutual-aid",
)


@dataclass
class Partners:
    gateway: Gateway
    tokens: dict[str, str]

    def post(self, partner: str, body: Event | list[Event]) -> httpx.Response:
        if isinstance(body, dict):
            return self.gateway.post(body, media_type=SINGLE, token=self.tokens[partner])
        return self.gateway.post(body, token=self.tokens[partner])

    def post_binary(self, partner: str, event: Event) -> httpx.Response:
        data, headers = binary(event)
        return self.gateway.post(
            data, media_type="application/json", token=self.tokens[partner], headers=headers
        )

    def accepted(self, partner: str, body: Event | list[Event]) -> None:
        response = self.post(partner, body)
        assert response.status_code == 202, response.text

    def stored(self) -> set[str]:
        return set(self.gateway.stored_ids())


@pytest.fixture
def partners(settings: Settings) -> Iterator[Partners]:
    with gateway_for(settings) as gateway:
        with psycopg.connect(gateway.database_url) as conn:
            hostile = add_partner(conn, Partner(HOSTILE, "A partner with no agreement"))
            aid = add_partner(conn, Partner(MUTUAL_AID, "Surbiton Mutual Aid"))
        yield Partners(
            gateway,
            {
                FOODBANK: gateway.token,
                COUNCIL: gateway.other_token,
                HOSTILE: hostile,
                MUTUAL_AID: aid,
            },
        )


def refused(response: httpx.Response, status: int, *names: str) -> list[dict[str, Any]]:
    """The refusal's problems, checked to be `status` and to name each of `names`."""
    assert response.status_code == status, response.text
    problems: list[dict[str, Any]] = response.json()["problems"]
    said = " ".join(p["reason"] for p in problems)
    assert all(name in said for name in names), said
    return problems


def test_another_partners_raised_is_a_conflict_and_kept_only_as_a_dead_letter(
    partners: Partners,
) -> None:
    partners.accepted(COUNCIL, request(COUNCIL, "raised", "r-0077"))
    before = partners.stored()
    theirs = request(HOSTILE, "raised", "r-0077")
    [problem] = refused(partners.post(HOSTILE, theirs), 409, "r-0077")
    assert (problem["index"], problem["id"], problem["field"]) == (None, theirs["id"], "subject")
    assert COUNCIL not in problem["reason"], "the refusal must not tell who owns the request"
    refused(partners.post_binary(HOSTILE, theirs), 409, "r-0077")
    assert partners.stored() == before
    assert [status for status, _ in partners.gateway.dead_letters()] == [409, 409]
    # The owner raises its own request again (a correction) as it likes.
    partners.accepted(COUNCIL, request(COUNCIL, "raised", "r-0077", minute=5))


@pytest.mark.parametrize(
    "step", ["cancelled", "accepted", "fulfilled", "triaged", "declined", "referred"]
)
def test_an_outsider_cannot_steer_another_partners_request(partners: Partners, step: str) -> None:
    partners.accepted(COUNCIL, request(COUNCIL, "raised", "r-0042"))
    partners.accepted(COUNCIL, request(COUNCIL, "referred", "r-0042", to_partner=FOODBANK))
    before = partners.stored()
    extra = {"to_partner": HOSTILE} if step == "referred" else {}
    attempt = request(HOSTILE, step, "r-0042", **extra)
    refused(partners.post(HOSTILE, attempt), 403, HOSTILE, "request r-0042")
    refused(partners.post_binary(HOSTILE, attempt), 403, "request r-0042")
    # A batch stays all or nothing: the hostile partner's own new request goes with it.
    own = request(HOSTILE, "raised", "rogue-1")
    [problem] = refused(partners.post(HOSTILE, [own, attempt]), 403, "request r-0042")
    assert (problem["index"], problem["id"]) == (1, attempt["id"])
    assert partners.stored() == before
    letters = partners.gateway.dead_letters()
    assert [status for status, _ in letters] == [403, 403, 403]
    assert letters[0][1][0]["reason"] == problem["reason"]
    # Still nothing: a referral it made itself gave it no part; the foodbank's is real.
    refused(partners.post(HOSTILE, request(HOSTILE, "accepted", "r-0042")), 403)
    partners.accepted(
        FOODBANK, request(FOODBANK, step if step != "referred" else "accepted", "r-0042")
    )
    partners.accepted(HOSTILE, own)


def test_referred_partners_speak_in_any_order_concurrently_beside_refused_requests(
    partners: Partners,
) -> None:
    """The council refers 30 requests to the foodbank, which refers some on to the mutual aid
    group; their events then go in shuffled, in four concurrent batches each, while the hostile
    partner's single-event requests share the same group commits and are each refused."""
    ids = [f"r-{n:04d}" for n in range(30)]
    partners.accepted(COUNCIL, [request(COUNCIL, "raised", r) for r in ids])
    partners.accepted(COUNCIL, [request(COUNCIL, "referred", r, to_partner=FOODBANK) for r in ids])
    onward = ids[:10]
    partners.accepted(
        FOODBANK, [request(FOODBANK, "referred", r, to_partner=MUTUAL_AID) for r in onward]
    )
    theirs = [
        request(FOODBANK, step, r, minute=m)
        for m, step in enumerate(["triaged", "accepted", "declined", "fulfilled"])
        for r in ids
    ] + [
        request(MUTUAL_AID, step, r, minute=m)
        for m, step in enumerate(["accepted", "fulfilled"])
        for r in onward
    ]
    random.Random(14).shuffle(theirs)
    posts: list[tuple[str, Event | list[Event]]] = []
    for partner in (FOODBANK, MUTUAL_AID):
        own = [e for e in theirs if e["partner"] == partner]
        posts += [(partner, own[n::4]) for n in range(4)]
    hostile = [request(HOSTILE, "cancelled", r) for r in ids] + [
        request(HOSTILE, "raised", r) for r in ids[:5]
    ]
    posts += [(HOSTILE, e) for e in hostile]
    random.Random(41).shuffle(posts)
    before = partners.stored()
    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(lambda post: partners.post(*post).status_code, posts))
    expected = [202 if partner != HOSTILE else _refusal(body) for partner, body in posts]
    assert answers == expected
    assert partners.stored() == before | {e["id"] for e in theirs}
    assert sorted(s for s, _ in partners.gateway.dead_letters()) == [403] * 30 + [409] * 5


def _refusal(body: Event | list[Event]) -> int:
    assert isinstance(body, dict)
    return 409 if body["type"].endswith("raised.v1") else 403


def test_hubs_and_their_stock_belong_to_the_partner_that_first_published_about_them(
    partners: Partners,
) -> None:
    partners.accepted(FOODBANK, hub(FOODBANK, "stock.counted", "hub-tolworth"))
    partners.accepted(FOODBANK, hub(FOODBANK, "hub.status", "hub-tolworth"))
    before = partners.stored()
    for kind in ("hub.status", "stock.counted", "stock.received", "stock.distributed"):
        attempt = hub(COUNCIL, kind, "hub-tolworth")
        refused(partners.post(COUNCIL, attempt), 403, "hub hub-tolworth", COUNCIL)
        refused(partners.post_binary(COUNCIL, attempt), 403, "hub hub-tolworth")
    assert partners.stored() == before
    partners.accepted(COUNCIL, [hub(COUNCIL, "hub.status", "cambridge-road-hub")])
    partners.accepted(FOODBANK, [hub(FOODBANK, "stock.received", "hub-tolworth")])


def test_volunteers_and_their_deployments_belong_to_the_partner_that_registered_them(
    partners: Partners,
) -> None:
    council, foodbank = COUNCIL, FOODBANK
    partners.accepted(
        council,
        [
            volunteer(council, "registered", "v-0001"),
            deployment(council, "deployed", "d-0001", "v-0001"),
            deployment(council, "checked_in", "d-0001"),
        ],
    )
    before = partners.stored()
    attempts = [
        (volunteer(foodbank, "registered", "v-0001"), "volunteer v-0001", "subject"),
        (volunteer(foodbank, "availability", "v-0001"), "volunteer v-0001", "subject"),
        (volunteer(foodbank, "stood_down", "v-0001"), "volunteer v-0001", "subject"),
        (
            deployment(foodbank, "deployed", "d-0009", "v-0001"),
            "volunteer v-0001",
            "data.volunteer_id",
        ),
        (
            deployment(foodbank, "deployed", "d-0001", "v-0777"),
            "deployment d-0001",
            "data.deployment_id",
        ),
        (deployment(foodbank, "checked_in", "d-0001"), "deployment d-0001", "subject"),
        (deployment(foodbank, "checked_out", "d-0001"), "deployment d-0001", "subject"),
    ]
    for attempt, names, field in attempts:
        [problem] = refused(partners.post(foodbank, [attempt]), 403, names)
        assert problem["field"] == field
    assert partners.stored() == before
    # Its own volunteer, in any order: checked out before it is known to be deployed.
    partners.accepted(foodbank, deployment(foodbank, "checked_out", "d-0777"))
    partners.accepted(foodbank, deployment(foodbank, "deployed", "d-0777", "v-0777"))
    partners.accepted(foodbank, volunteer(foodbank, "registered", "v-0777"))
    partners.accepted(council, deployment(council, "checked_out", "d-0001"))


def test_only_the_partner_that_declared_an_incident_stands_it_down(partners: Partners) -> None:
    partners.accepted(COUNCIL, event(COUNCIL, "incident.declared", {"name": "Covid", "level": 3}))
    refused(partners.post(HOSTILE, event(HOSTILE, "incident.stood_down", {})), 403, HOSTILE)
    partners.accepted(COUNCIL, event(COUNCIL, "incident.stood_down", {}))
    partners.accepted(
        HOSTILE,
        event(
            HOSTILE, "incident.declared", {"name": "Its own", "level": 1}, incident="rogue-drill"
        ),
    )


def test_a_partner_publishes_only_its_own_capacity(partners: Partners) -> None:
    own, theirs = capacity(HOSTILE), capacity(HOSTILE) | {"subject": COUNCIL}
    before = partners.stored()
    [problem] = refused(partners.post(HOSTILE, theirs), 403, HOSTILE, COUNCIL)
    assert (problem["id"], problem["field"]) == (theirs["id"], "subject")
    refused(partners.post_binary(HOSTILE, theirs), 403, COUNCIL)
    refused(partners.post(HOSTILE, [own, theirs]), 403, COUNCIL)  # the batch refused whole
    assert partners.stored() == before
    assert [status for status, _ in partners.gateway.dead_letters()] == [403, 403, 403]
    partners.accepted(HOSTILE, own)


def test_in_an_exercise_run_roles_come_from_the_history_and_the_run(partners: Partners) -> None:
    """A run replays covid-2020: the council's request and its referral to the foodbank hold in
    the run; what the run adds (a request, a referral) holds in the run only."""
    partners.accepted(COUNCIL, request(COUNCIL, "raised", "r-0042"))
    partners.accepted(COUNCIL, request(COUNCIL, "referred", "r-0042", to_partner=FOODBANK))
    partners.accepted(FOODBANK, hub(FOODBANK, "hub.status", "hub-tolworth"))
    with psycopg.connect(partners.gateway.database_url) as conn:
        start = datetime(2020, 4, 1, tzinfo=UTC)
        create_run(
            conn,
            Run("drill-1", "covid-2020", start, start + timedelta(days=3), timedelta()),
            None,
            [],
        )

    def in_run(event: Event) -> Event:
        return {**event, "incident": "drill-1"}

    before = partners.stored()
    refused(partners.post(HOSTILE, in_run(request(HOSTILE, "accepted", "r-0042"))), 403, "r-0042")
    refused(partners.post(HOSTILE, in_run(request(HOSTILE, "raised", "r-0042"))), 409, "r-0042")
    refused(
        partners.post_binary(HOSTILE, in_run(hub(HOSTILE, "stock.counted", "hub-tolworth"))), 403
    )
    assert partners.stored() == before
    partners.accepted(FOODBANK, in_run(request(FOODBANK, "accepted", "r-0042")))
    partners.accepted(COUNCIL, in_run(request(COUNCIL, "triaged", "r-0042")))
    # A request new in the run belongs to whoever raised it there.
    partners.accepted(HOSTILE, [in_run(request(HOSTILE, "raised", "x-1"))])
    refused(partners.post(COUNCIL, [in_run(request(COUNCIL, "cancelled", "x-1"))]), 403, "x-1")
    # A referral in the run involves its partner in the run, not in the live incident.
    partners.accepted(COUNCIL, in_run(request(COUNCIL, "referred", "r-0042", to_partner=HOSTILE)))
    partners.accepted(HOSTILE, in_run(request(HOSTILE, "declined", "r-0042")))
    refused(partners.post(HOSTILE, request(HOSTILE, "declined", "r-0042")), 403, "r-0042")


def test_the_demo_streamed_through_the_gateway_is_accepted_whole(settings: Settings) -> None:
    """The demo's partners refer requests to each other: streamed as `tandem up` streams it
    (each tick's events in turn), every event is accepted, none refused."""
    demo = build("kingston-2020")
    scenario = Scenario(demo.incident, demo.name, demo.partners, demo.events[:6000])
    span = datetime.fromisoformat(str(scenario.events[-1]["time"])) - datetime.fromisoformat(
        str(scenario.events[0]["time"])
    )
    with running_gateway(settings) as url:
        at = settings.model_copy(update={"gateway_url": url})
        said: list[str] = []
        stream(at, scenario, span.total_seconds() / 3, threading.Event(), said.append)  # ~12 ticks
    assert len(said) == 1 and f"streamed: {len(scenario.events):,} events" in said[0]
    with psycopg.connect(settings.database_url) as conn:
        stored = conn.execute("SELECT count(*) FROM events").fetchone()
        letters = conn.execute("SELECT count(*) FROM dead_letters").fetchone()
    assert (stored, letters) == ((len(scenario.events),), (0,))
