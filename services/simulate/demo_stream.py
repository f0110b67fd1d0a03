"""Streams a generated demo incident through the gateway at a speed factor, so figures move.

Each demo partner gets a fresh token at start (tokens are shown once and stored hashed), and
publishes its own events, as a real partner would. Re-streaming is harmless: the same events
are duplicates the store counts once.

A user trying the README on the demo may rotate a demo partner's token (`tandem partner
rotate`): that revokes the demo's token too, so the demo then issues itself a new one and goes
on — a rotation keeps the partner publishing. Revoking every token of a demo partner (`tandem
partner revoke`) cuts it off, and the demo stops, saying so.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg

from services.client.publisher import Backoff, Publisher, PublishRefused
from services.geography.boundaries import read_areas
from services.geography.store import load_areas_unless_any
from services.settings import Settings
from services.sharing.agreements import Terms
from services.sharing.store import AgreementError, add_agreement
from services.simulate import Scenario, build, kingston
from services.simulate.demo_progress import DEMO_FILE, DemoProgress
from services.simulate.kingston_map import AREAS_FILE
from services.store.connections import connect
from services.store.partners import (
    Partner,
    PartnerExists,
    add_partner,
    issue_token,
    tokens_in_use,
)

log = logging.getLogger(__name__)

DEMO_SCENARIO = "kingston-2020"
DEMO_INCIDENT = kingston.INCIDENT
"""The incident the demo scenario streams."""

TICK_SECONDS = 0.25

BACKOFF = Backoff(connect_for=60.0)
"""The demo waits for a gateway its supervisor is restarting."""


# The demo's data-sharing: the council refers food to the foodbank, which reports back.
DEMO_AGREEMENTS = (
    (
        "rbk-council",
        "kingston-foodbank",
        ("resilience.request.raised.v1", "resilience.request.triaged.v1"),
        ("request_id", "need", "priority", "area", "household_size"),
        "Food parcels for residents who call the council helpline",
        True,
    ),
    (
        "kingston-foodbank",
        "rbk-council",
        ("resilience.request.fulfilled.v1", "resilience.stock.counted.v1"),
        ("request_id", "hub_id", "item", "quantity"),
        "The council sees food requests fulfilled and stock at the hubs",
        False,
    ),
)


def partner_tokens(settings: Settings, scenario: Scenario) -> dict[str, str]:
    tokens: dict[str, str] = {}
    with connect(settings) as conn:
        for partner in scenario.partners:
            try:
                tokens[partner.id] = add_partner(conn, Partner(partner.id, partner.name))
            except PartnerExists:
                with conn.transaction():
                    tokens[partner.id] = issue_token(conn, partner.id)
        agree_demo_sharing(conn, {p.id for p in scenario.partners})
    return tokens


def agree_demo_sharing(conn: psycopg.Connection[Any], partners: set[str]) -> None:
    """The demo's agreements, once: a second start finds them in force and keeps them."""
    today = datetime.now(UTC).date()
    for provider, recipient, types, fields, purpose, pseudonymise in DEMO_AGREEMENTS:
        if {provider, recipient} <= partners:
            terms = Terms(
                provider,
                recipient,
                types,
                fields,
                purpose,
                pseudonymise,
                today,
                today + timedelta(days=90),
            )
            with suppress(AgreementError):
                add_agreement(conn, terms)


DEMO_AREAS_BY = "tandem up (the demo)"
# What a version's source says wherever it is shown (the board under its map): illustrative.
DEMO_AREAS_SOURCE = f"{AREAS_FILE.name}: illustrative wards made for the demo, not the ward map"


def load_demo_areas(conn: psycopg.Connection[Any]) -> int | None:
    """The demo's illustrative wards as the areas, unless a version is loaded already: the
    areas a deployment loaded are never replaced. The version loaded, or None."""
    wards = read_areas(AREAS_FILE).model_copy(update={"source": DEMO_AREAS_SOURCE})
    version = load_areas_unless_any(conn, wards, DEMO_AREAS_BY)
    if version is not None:
        log.info("demo areas loaded", extra={"version": version, "source": AREAS_FILE.name})
    return version


class DemoStopped(Exception):
    """The demo cannot go on; the message says why, for the `tandem up` terminal."""


class DemoPublishers:
    """Each demo partner's publisher. A token refused (401) while the partner has another token
    in use was rotated away: the demo issues itself a new one and sends the batch again (a
    batch sent twice is counted once). With no token in use, the partner was revoked."""

    def __init__(self, settings: Settings, tokens: dict[str, str]) -> None:
        self.settings = settings
        self._publishers = {p: self._publisher(t) for p, t in tokens.items()}

    def _publisher(self, token: str) -> Publisher:
        return Publisher(self.settings.gateway_url, token, backoff=BACKOFF)

    def publish(self, partner: str, batch: list[dict[str, Any]]) -> None:
        try:
            self._publishers[partner].publish(batch)
        except PublishRefused as refused:
            if refused.status != 401:
                raise
            self._reissue(partner)
            self._publishers[partner].publish(batch)

    def _reissue(self, partner: str) -> None:
        with connect(self.settings) as conn, conn.transaction():
            if tokens_in_use(conn, partner) == 0:
                raise DemoStopped(
                    f"every token of {partner} was revoked, so the demo stopped"
                    " (`tandem up` again streams it from the start)"
                )
            token = issue_token(conn, partner)
        log.info("demo token re-issued after a rotation", extra={"partner": partner})
        self._publishers.pop(partner).close()
        self._publishers[partner] = self._publisher(token)

    def close(self) -> None:
        for publisher in self._publishers.values():
            publisher.close()


def stream(
    settings: Settings,
    scenario: Scenario,
    speed: float,
    stop: threading.Event,
    announce: Callable[[str], None],
) -> None:
    """Publish `scenario` in event-time order, `speed` scenario seconds per wall second; say on
    `announce` when it has all been sent."""
    publishers = DemoPublishers(settings, partner_tokens(settings, scenario))
    events = scenario.events
    progress = DemoProgress(settings.data_dir / DEMO_FILE, scenario.incident, len(events))
    first = _time(events[0])
    started = time.monotonic()
    sent = 0
    try:
        while sent < len(events) and not stop.is_set():
            scenario_now = (time.monotonic() - started) * speed
            due = sent
            while (
                due < len(events) and (_time(events[due]) - first).total_seconds() <= scenario_now
            ):
                due += 1
            for partner, batch in in_turn(events[sent:due]):
                publishers.publish(partner, batch)
            sent = due
            progress.sent(sent)
            stop.wait(TICK_SECONDS)
        log.info("demo streamed", extra={"events": sent, "incident": scenario.incident})
    finally:
        publishers.close()
    if sent == len(events):
        minutes = (time.monotonic() - started) / 60
        announce(
            f"Demo incident {scenario.incident!r} streamed: {sent:,} events in {minutes:.0f} min."
        )


def in_turn(events: Sequence[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    """`events` as one batch per partner, sent one after another (see `waves`)."""
    return [(partner, batch) for wave in waves(events) for partner, batch in wave.items()]


def waves(events: Sequence[dict[str, Any]]) -> list[dict[str, list[dict[str, Any]]]]:
    """`events` in waves of one batch per partner, each event in a later wave than every
    earlier one about the same subject from another partner: a partner takes on a request only
    once it was referred to it, and its event is refused until the referral is stored
    (services/authority). The batches of a wave may go at once, in any order. Few waves: an
    event waits for another partner only when they are about the same thing."""
    found: list[dict[str, list[dict[str, Any]]]] = []
    last: dict[tuple[str, str], tuple[str, int]] = {}  # (incident, subject): its latest event
    for event in events:
        partner, about = str(event["partner"]), (str(event["incident"]), str(event["subject"]))
        before = last.get(about)
        wave = 0 if before is None else before[1] + (before[0] != partner)
        while len(found) <= wave:
            found.append(defaultdict(list))
        found[wave][partner].append(event)
        last[about] = (partner, wave)
    return found


def _time(event: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(str(event["time"]))


def demo_runner(
    speed: float, announce: Callable[[str], None]
) -> Callable[[Settings, threading.Event], None]:
    """What `tandem up` runs once the stack is ready: the demo incident, streamed at `speed`."""

    def run(settings: Settings, stop: threading.Event) -> None:
        announce(
            f"Streaming the synthetic demo incident {DEMO_SCENARIO!r} through the gateway at"
            f" {speed:g}x (tandem up --no-demo to skip)."
        )
        try:
            with connect(settings) as conn:
                load_demo_areas(conn)
            stream(settings, build(DEMO_SCENARIO), speed, stop, announce)
        except DemoStopped as stopped:
            announce(f"Demo stopped: {stopped}.")
        except Exception as exc:
            log.exception("demo stream failed")
            announce(f"Demo stopped: {type(exc).__name__}: {exc} (the log has the details).")

    return run
