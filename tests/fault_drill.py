"""Fault drills on one running `tandem up`: a steady stream of the demo incident, a fault in the
middle of it, the time the stack takes to recover, then proof that nothing was lost or doubled.

After each fault every event that got a 202 (and every one the broker acknowledged to the
partner producing straight to Kafka) is in the store and the archive exactly once, and the
figures, the sitrep at several times T and the router's request lifecycles are those of the
same events applied directly, with no fault, to a database of their own; and the router's
shares are those the sharing rule makes knowing every event (`_check_shares`).
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg

from infra.broker import free_port
from services.aggregator.figures_writer import apply_batch
from services.demo_stream import partner_tokens
from services.figures.sitrep import sitrep
from services.sharing.decide import decide
from services.sharing.referrals import REFERRED, request_of
from services.sharing.store import agreements_in_force, share_batch, sharing_key
from services.simulate import build
from tests.fault_injection import Fault
from tests.recovery import (
    FRESH_SECONDS,
    Key,
    Strike,
    consumers_progress,
    key,
    not_recovered,
    stored_keys,
)
from tests.servers import databases, wait_for
from tests.stack_process import StackProcess
from tests.steady_stream import Delivered, Event, SteadyStream
from tests.test_figures_writer import snapshot

SCENARIO = "kingston-2020"
KAFKA_PARTNER = "age-uk-kingston"  # produces straight to Kafka; the others publish over HTTP
RATE = 400.0  # events/s
EVENTS_PER_FAULT = 4000
WARM_UP_EVENTS = 600  # durable before the fault strikes
RECOVERY_SECONDS = 120.0
CATCH_UP_SECONDS = 120.0

Conn = psycopg.Connection[Any]


@dataclass(frozen=True)
class Recovery:
    fault: Fault
    seconds: float  # from the fault until the stack had recovered (tests/recovery.py)
    ingest_gap: float  # from the fault until a request first sent after it got its 202
    stored_at_fault: int  # events in the store when the fault struck
    duplicates: int  # events re-sent after a lost reply, found already stored
    lost_with_broker: int  # acknowledged by a broker that then lost its log, never stored


def _keys(events: Sequence[Event]) -> set[Key]:
    return {key(event) for event in events}


def _count(conn: Conn, query: str) -> int:
    row = conn.execute(query).fetchone()
    return int(row[0]) if row else 0


def _rows(conn: Conn, query: str) -> set[tuple[str, ...]]:
    return {tuple(str(value) for value in row) for row in conn.execute(query)}


def _same_rows(conn: Conn, expected: Conn, query: str) -> None:
    found, wanted = _rows(conn, query), _rows(expected, query)
    missing, extra = sorted(wanted - found), sorted(found - wanted)
    assert not missing and not extra, f"{query}: missing {missing[:5]}, extra {extra[:5]}"


class FaultDrill:
    def __init__(self, stack: StackProcess, expected_url: str) -> None:
        self.stack = stack
        self.settings = stack.settings()
        scenario = build(SCENARIO)
        self.incident = scenario.incident
        self.unsent = list(scenario.events)
        self.by_key = {key(event): event for event in scenario.events}
        self.tokens = partner_tokens(self.settings, scenario)
        # The same partners and agreements, where the same events are applied with no fault.
        partner_tokens(self.settings.model_copy(update={"database_url": expected_url}), scenario)
        self.expected_url = expected_url
        self.durable: list[Event] = []
        self.applied: set[Key] = set()  # durable events applied to the no-fault database
        self.recoveries: list[Recovery] = []

    def connect(self) -> Conn:
        return psycopg.connect(self.settings.require_database_url())

    def run(self, fault: Fault) -> Recovery:
        """Stream, strike, time the recovery; then check everything; return the recovery."""
        wait_for(lambda: len(self.stack.services()) == 6, 60, "every service running")
        self._take_in_leftovers()
        events, self.unsent = self.unsent[:EVENTS_PER_FAULT], self.unsent[EVENTS_PER_FAULT:]
        assert len(events) == EVENTS_PER_FAULT, "the demo incident has no events left"
        stream = SteadyStream(self.settings, self.tokens, events, RATE, KAFKA_PARTNER)
        with stream:
            wait_for(lambda: len(stream.delivered.http_events()) >= WARM_UP_EVENTS, 60, "warm-up")
            with self.connect() as conn:
                stored_at_fault = _count(conn, "SELECT count(*) FROM events")
            fault.inject(self.stack)
            now = time.monotonic()
            strike = Strike(now, datetime.now(UTC))
            recovered_at = self._time_recovery(stream.delivered, strike, fault)
        answered = stream.delivered.first_202_sent_after(strike.at)
        assert answered is not None
        self.unsent[:0] = events[stream.sent :]
        lost = self._check_delivered(stream.delivered, events[: stream.sent], strike)
        self._check_against_no_fault()
        recovery = Recovery(
            fault,
            recovered_at - strike.at,
            answered - strike.at,
            stored_at_fault,
            sum(r.duplicates for r in stream.delivered.requests),
            lost,
        )
        self.recoveries.append(recovery)
        return recovery

    def _take_in_leftovers(self) -> None:
        """A failed drill may leave events in the store that no drill accounted for: they are
        the next drill's starting point, so that one failure does not fail every drill after."""
        with self.connect() as conn:
            leftovers = stored_keys(conn) - _keys(self.durable)
        self.durable += [self.by_key[k] for k in leftovers]

    def _time_recovery(self, delivered: Delivered, strike: Strike, fault: Fault) -> float:
        """The time.monotonic() at which the stack had recovered from `fault`."""
        lagging: list[str] = []

        def recovered() -> float | None:
            lagging[:] = not_recovered(self.settings, delivered, KAFKA_PARTNER, strike)
            return None if lagging else time.monotonic()

        try:
            return wait_for(recovered, RECOVERY_SECONDS, f"recovery: {fault.what}", every=0.2)
        except AssertionError as error:
            raise AssertionError(f"{error}; not recovered: {'; '.join(lagging)}") from None

    def _check_delivered(self, delivered: Delivered, sent: Sequence[Event], strike: Strike) -> int:
        """Everything durable is stored once and nothing else is; wait until every consumer
        has it all. Return how many acknowledged events a broker lost before they were read."""
        http = delivered.http_events()
        must_store = _keys(http) | {key(a.event) for a in delivered.acked_in_logs_kept()}
        before = _keys(self.durable)
        with self.connect() as conn:
            wait_for(
                lambda: must_store <= stored_keys(conn),
                CATCH_UP_SECONDS,
                "every durable event in the store",
            )
            new = stored_keys(conn) - before
            requests = delivered.requests
            # A request stored whose 202 was lost with the gateway is sent again: then its
            # events are duplicates, so fewer can be reported accepted than were stored.
            assert sum(r.accepted + r.duplicates for r in requests) == len(http)
            assert sum(r.accepted for r in requests) <= len(_keys(http)) == len(http)
            assert new - _keys(sent) == set(), "stored events nobody sent"
            from_kafka = {k for k in new if k[0].startswith(f"/orgs/{KAFKA_PARTNER}/")}
            assert new - from_kafka == _keys(http), "HTTP events stored ≠ those that got a 202"
            assert from_kafka <= _keys(delivered.produced)
            self.durable += [event for event in sent if key(event) in new]

            def caught_up() -> bool:
                progress = consumers_progress(conn, strike.wall).values()
                return all(p.waiting is None for p in progress)

            wait_for(caught_up, CATCH_UP_SECONDS, "archive, figures and router caught up")
        lost = [a for a in delivered.acked_in_logs_lost() if key(a.event) not in from_kafka]
        # Only what the inbound service had not had time to read can go with the broker's log.
        assert all(a.at > strike.at - FRESH_SECONDS for a in lost), lost
        return len(lost)

    def _check_against_no_fault(self) -> None:
        """The stack's archive, figures, sitreps and shares equal those of the durable events
        applied directly, in one go, to a database of their own."""
        with psycopg.connect(self.expected_url) as expected:
            fresh = [event for event in self.durable if key(event) not in self.applied]
            apply_batch(expected, "live", fresh)
            share_batch(expected, fresh)
            expected.commit()
            self.applied |= _keys(fresh)
            with self.connect() as conn:
                keys = _keys(self.durable)
                assert stored_keys(conn) == keys
                assert _rows(conn, "SELECT source, id FROM archive") == keys
                assert _count(conn, "SELECT count(*) FROM archive") == len(self.durable)
                self._check_shares(conn, expected)
                _same_rows(conn, expected, "SELECT source, id FROM sharing_request_events")
                for at in self.times():
                    assert sitrep(conn, self.incident, at) == sitrep(expected, self.incident, at)
                assert snapshot(conn) == snapshot(expected)

    def _check_shares(self, conn: Conn, expected: Conn) -> None:
        """The router's inbox against the sharing rule applied knowing every durable event:
        nothing the rule entitles is missing. The router decides on what has arrived, and a
        share once made stands, so it may have shared more: an event of a request to a partner
        the request was referred to, whose referral ended by an event that arrived later (the
        stream runs on several clients and one Kafka producer, so events of a request can
        arrive out of time order). Any other extra share is a fault."""
        at = datetime.now(UTC)
        agreements, secret = agreements_in_force(expected, at), sharing_key(expected)
        registered = {str(p) for (p,) in expected.execute("SELECT id FROM partners")}
        lifecycles: dict[object, list[Event]] = defaultdict(list)
        referred_to: dict[object, set[str]] = defaultdict(set)
        for event in self.durable:
            if (request := request_of(event)) is not None:
                lifecycles[request].append(event)
                if event["type"] == REFERRED:
                    referred_to[request].add(str(event["data"]["to_partner"]))
        entitled = {
            share.key
            for event in self.durable
            for share in decide(event, agreements, lifecycles[request_of(event)], secret, at)
            if share.recipient in registered
        }
        shared = _rows(conn, "SELECT recipient, source, id FROM inbox")
        missing = sorted(entitled - shared)
        unexplained = sorted(
            (recipient, source, id_)
            for recipient, source, id_ in shared - entitled
            if recipient not in referred_to[request_of(self.by_key[source, id_])]
        )
        assert not missing, f"shares the rule entitles, missing: {missing[:5]}"
        assert not unexplained, f"shares no referral or agreement explains: {unexplained[:5]}"

    def times(self) -> list[datetime]:
        """Times T across the incident so far: its quartiles, its last event, a day later."""
        moments = sorted(datetime.fromisoformat(str(e["time"])) for e in self.durable)
        picks = [moments[len(moments) * q // 4] for q in (1, 2, 3)] + [moments[-1]]
        return [*picks, moments[-1] + timedelta(days=1)]


@contextmanager
def fault_drill(out: Path, server_url: str, template_db: str) -> Iterator[FaultDrill]:
    """A `tandem up` of its own (its output in `out`) and a database for the no-fault figures."""
    with (
        StackProcess.up(free_port(), out) as stack,
        databases(server_url, template_db) as new_database,
    ):
        yield FaultDrill(stack, new_database())
