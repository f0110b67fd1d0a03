"""Fault drills on one running `tandem up`: a steady stream of the demo incident, a fault in the
middle of it, the time the stack takes to recover, then proof that nothing was lost or doubled.

After each fault every event that got a 202 (and every one the broker acknowledged to the
partner producing straight to Kafka) is in the store and the archive exactly once, and the
figures, the sitrep at several times T and the router's request lifecycles are those of the
same events applied directly, with no fault, to a database of their own; and the router's
shares are exactly those the sharing rule makes knowing every event and when the store
accepted it (`_check_shares`), however often the router read them.
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
from infra.stack import services as stack_services
from services.figures.sitrep import sitrep
from services.figures.writer import apply_batch
from services.sharing.accepted import Accepted
from services.sharing.agreements import Agreement, Terms
from services.sharing.decide import decide
from services.sharing.referrals import request_of
from services.sharing.store import add_agreement, agreements, share_batch, sharing_key
from services.simulate import build
from services.simulate.demo_stream import partner_tokens
from tests.support.fault_injection import Fault
from tests.support.figures_tables import snapshot
from tests.support.recovery import (
    FRESH_SECONDS,
    Key,
    Strike,
    consumers_progress,
    key,
    not_recovered,
    stored_keys,
)
from tests.support.servers import databases, wait_for
from tests.support.stack_process import StackProcess
from tests.support.steady_stream import Delivered, Event, SteadyStream

SCENARIO = "kingston-2020"
# Produces straight to Kafka; the others publish over HTTP. The foodbank, as no other partner's
# events depend on its own (it refers nothing, and only it speaks of its hubs): an event over
# HTTP could otherwise arrive before the Kafka referral that entitles it, and be refused.
KAFKA_PARTNER = "kingston-foodbank"
RATE = 400.0  # events/s
EVENTS_PER_FAULT = 4000
WARM_UP_EVENTS = 600  # durable before the fault strikes
RECOVERY_SECONDS = 120.0
CATCH_UP_SECONDS = 120.0

Conn = psycopg.Connection[Any]


@dataclass(frozen=True)
class Recovery:
    fault: Fault
    seconds: float  # from the fault until the stack had recovered (tests/support/recovery.py)
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
        self.agreed_mid_stream: Agreement | None = None

    def connect(self) -> Conn:
        return psycopg.connect(self.settings.require_database_url())

    def run(self, fault: Fault, mid_stream: Terms | None = None) -> Recovery:
        """Stream, strike, time the recovery; then check everything; return the recovery.
        `mid_stream` terms are agreed once the stream has warmed up, just before the fault."""
        every = len(stack_services(0))
        wait_for(lambda: len(self.stack.services()) == every, 60, "every service running")
        self._take_in_leftovers()
        events, self.unsent = self.unsent[:EVENTS_PER_FAULT], self.unsent[EVENTS_PER_FAULT:]
        assert len(events) == EVENTS_PER_FAULT, "the demo incident has no events left"
        stream = SteadyStream(self.settings, self.tokens, events, RATE, KAFKA_PARTNER)
        with stream:
            wait_for(lambda: len(stream.delivered.http_events()) >= WARM_UP_EVENTS, 60, "warm-up")
            with self.connect() as conn:
                if mid_stream is not None:
                    self.agreed_mid_stream = add_agreement(conn, mid_stream)
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
            with self.connect() as conn:
                _copy_stored(conn, expected, _keys(fresh))
            share_batch(expected, fresh)
            expected.commit()
            self.applied |= _keys(fresh)
            with self.connect() as conn:
                keys = _keys(self.durable)
                assert stored_keys(conn) == keys
                assert _rows(conn, "SELECT source, id FROM archive") == keys
                assert _count(conn, "SELECT count(*) FROM archive") == len(self.durable)
                self._check_shares(conn)
                _same_rows(conn, expected, "SELECT source, id FROM sharing_request_events")
                for at in self.times():
                    assert sitrep(conn, self.incident, at) == sitrep(expected, self.incident, at)
                assert snapshot(conn) == snapshot(expected)

    def _check_shares(self, conn: Conn) -> None:
        """The router's inbox against the sharing rule applied knowing every durable event and
        when the store accepted it, with the stack's agreements: exactly the same shares. The
        rule judges each event by its acceptance, and a consumer always has a prefix of the
        store's order, so neither faults nor reading everything again change who got what."""
        every_agreement, secret = agreements(conn), sharing_key(conn)
        registered = {str(p) for (p,) in conn.execute("SELECT id FROM partners")}
        accepted = [
            Accepted(self.by_key[source, id_], at, (int(tx), seq))
            for source, id_, at, tx, seq in conn.execute(
                "SELECT source, id, received_at, tx::text, seq FROM events"
            )
        ]
        lifecycles: dict[object, list[Accepted]] = defaultdict(list)
        for event in accepted:
            if (request := request_of(event.event)) is not None:
                lifecycles[request].append(event)
        entitled = {
            share.key
            for event in accepted
            for share in decide(event, every_agreement, lifecycles[request_of(event.event)], secret)
            if share.recipient in registered
        }
        shared = _rows(conn, "SELECT recipient, source, id FROM inbox")
        missing, extra = sorted(entitled - shared), sorted(shared - entitled)
        assert not missing, f"shares the rule entitles, missing: {missing[:5]}"
        assert not extra, f"shares no referral or agreement explains: {extra[:5]}"

    def check_agreed_mid_stream(self) -> None:
        """The agreement made mid-stream shares the events accepted after it and none of
        those accepted before, though the router read those again after it was made."""
        agreement = self.agreed_mid_stream
        assert agreement is not None
        terms = agreement.terms
        with self.connect() as conn:
            rows = conn.execute(
                "SELECT e.received_at >= %s, a.agreement_id IS NOT NULL FROM events e"
                " LEFT JOIN sharing_audit a ON (a.source, a.id) = (e.source, e.id)"
                "  AND a.recipient = %s AND a.agreement_id = %s"
                " WHERE e.partner = %s AND e.type = ANY(%s)",
                (
                    agreement.created_at,
                    terms.to_partner,
                    agreement.id,
                    terms.from_partner,
                    list(terms.types),
                ),
            ).fetchall()
        before = [shared for after, shared in rows if not after]
        after = [shared for after, shared in rows if after]
        assert before and after, f"{len(before)} events before the agreement, {len(after)} after"
        assert not any(before), f"{sum(before)} events accepted before it shared under it"
        assert all(after), f"{after.count(False)} events accepted after it not shared"

    def times(self) -> list[datetime]:
        """Times T across the incident so far: its quartiles, its last event, a day later."""
        moments = sorted(datetime.fromisoformat(str(e["time"])) for e in self.durable)
        picks = [moments[len(moments) * q // 4] for q in (1, 2, 3)] + [moments[-1]]
        return [*picks, moments[-1] + timedelta(days=1)]


def _copy_stored(conn: Conn, expected: Conn, keys: set[Key]) -> None:
    """The stack's store rows of `keys`, as they are (seq, transaction, time of acceptance)."""
    columns = "seq, tx, source, id, type, partner, incident, subject, time, received_at, body"
    rows = conn.execute(
        f"SELECT {columns.replace('tx,', 'tx::text,')} FROM events"
        " WHERE (source, id) IN (SELECT * FROM unnest(%s::text[], %s::text[]))",
        ([s for s, _ in keys], [i for _, i in keys]),
    ).fetchall()
    with expected.cursor() as cur:
        cur.executemany(
            f"INSERT INTO events ({columns}) OVERRIDING SYSTEM VALUE"
            " VALUES (%s, %s::xid8, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            rows,
        )


@contextmanager
def fault_drill(out: Path, server_url: str, template_db: str) -> Iterator[FaultDrill]:
    """A `tandem up` of its own (its output in `out`) and a database for the no-fault figures."""
    with (
        StackProcess.up(free_port(), out) as stack,
        databases(server_url, template_db) as new_database,
    ):
        yield FaultDrill(stack, new_database())
