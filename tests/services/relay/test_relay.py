from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import psycopg

from infra.broker import EmbeddedBroker
from services.relay.confirm import Acknowledged
from services.relay.relay import Relay
from services.settings import Settings
from services.store.dead_letters import DeadLetter, record_all
from services.streaming.topics import ACCEPTED, REJECTED
from tests.support.events_store import insert_events, sample_event
from tests.support.servers import wait_for
from tests.support.topics import read_records, read_topic


def test_relay_publishes_stored_events_keyed_by_subject(settings: Settings) -> None:
    events = [sample_event(n) for n in range(25)]
    with psycopg.connect(settings.database_url) as conn:
        insert_events(conn, events)
        conn.commit()
        relay = Relay(settings, conn)
        assert relay.relay_once() == 25
        assert relay.relay_once() == 0
        relay.drop_producer()
    got = read_topic(settings, ACCEPTED, 25)
    assert sorted(value["id"] for _, value in got) == sorted(e["id"] for e in events)
    assert all(key == str(value["subject"]).encode() for key, value in got)


def test_relay_publishes_events_in_the_cloudevents_structured_mode_dead_letters_as_json(
    settings: Settings,
) -> None:
    """The Kafka binding tells structured mode by the content type; a partner's SDK reading its
    inbox, or anyone reading events.accepted, must not have to guess."""
    with psycopg.connect(settings.database_url) as conn:
        insert_events(conn, [sample_event(1)])
        record_all(conn, [DeadLetter("http", "kingston-foodbank", 422, [], b"{}")])
        conn.commit()
        relay = Relay(settings, conn)
        assert relay.relay_once() == 2
        relay.drop_producer()
    for topic, kind in (
        (ACCEPTED, b"application/cloudevents+json"),
        (REJECTED, b"application/json"),
    ):
        (record,) = read_records(settings, topic, 1)
        assert ("content-type", kind) in record.headers, topic
        assert ("tandem-epoch", b"0") in record.headers, topic


def test_relay_waits_for_an_older_transaction_still_open(settings: Settings) -> None:
    """An event committed late by a slow request must not be skipped."""
    url = settings.database_url
    with psycopg.connect(url) as slow, psycopg.connect(url) as fast, psycopg.connect(url) as rc:
        insert_events(slow, [sample_event(1)])  # older transaction, still open
        insert_events(fast, [sample_event(2)])
        fast.commit()
        relay = Relay(settings, rc)
        assert relay.relay_once() == 0
        slow.commit()
        assert relay.relay_once() == 2
        relay.drop_producer()


def test_relay_republishes_everything_after_the_broker_loses_its_log(
    settings: Settings, tmp_path: Path
) -> None:
    broker = EmbeddedBroker(log_file=tmp_path / "broker.log")
    own = settings.model_copy(update={"kafka_bootstrap": broker.start()})
    try:
        with psycopg.connect(own.database_url) as conn:
            insert_events(conn, [sample_event(n) for n in range(10)])
            conn.commit()
            relay = Relay(own, conn)
            assert relay.relay_once() == 10
            broker.stop()
            broker.start()  # same port, empty memory
            relay.drop_producer()
            insert_events(conn, [sample_event(n) for n in range(10, 12)])
            conn.commit()

            def republished() -> bool:
                try:
                    relay.relay_once()
                except Exception:
                    relay.drop_producer()
                    return False
                return relay.state.epoch == 1 and relay.relay_once() == 0

            wait_for(republished, what="relay to republish")
            relay.drop_producer()
        got = read_topic(own, ACCEPTED, 12)
        assert {value["id"] for _, value in got} == {f"e-{n}" for n in range(12)}
    finally:
        broker.stop()


def test_relay_notices_a_lost_log_while_idle(settings: Settings, tmp_path: Path) -> None:
    broker = EmbeddedBroker(log_file=tmp_path / "broker.log")
    own = settings.model_copy(update={"kafka_bootstrap": broker.start()})
    clock = [0.0]
    try:
        with psycopg.connect(own.database_url) as conn:
            insert_events(conn, [sample_event(n) for n in range(5)])
            conn.commit()
            relay = Relay(own, conn, clock=lambda: clock[0])
            assert relay.relay_once() == 5
            broker.stop()
            broker.start()
            relay.drop_producer()
            clock[0] += 10
            assert relay.relay_once() == 0  # nothing new: the probe finds the log gone
            assert relay.state.epoch == 1
            assert relay.relay_once() == 5
            relay.drop_producer()
        got = read_topic(own, ACCEPTED, 5)
        assert len({value["id"] for _, value in got}) == 5
    finally:
        broker.stop()


def test_relay_keeps_store_order_where_transaction_ids_gain_a_digit(settings: Settings) -> None:
    """Transactions 8 to 12, read five events at a time: as text '10' sorts before '8', and a
    relay that ordered its batch that way passed over the rest of the batch for good."""
    with psycopg.connect(settings.database_url) as conn:
        for n, tx in enumerate(range(8, 13)):
            insert_events(conn, [sample_event(3 * n + i) for i in range(3)], tx=tx)
        conn.commit()
        relay = Relay(settings, conn, batch=5)
        while relay.relay_once():
            pass
        relay.drop_producer()
    got = read_topic(settings, ACCEPTED, 15)
    assert sorted(value["id"] for _, value in got) == sorted(f"e-{n}" for n in range(15))


class ForgetfulBroker(Relay):
    """A relay whose broker acknowledges every other record of the first batch it is sent
    without keeping it: those are acknowledged at the offsets of records it did keep."""

    def __init__(self, settings: Settings, conn: psycopg.Connection[tuple[object, ...]]) -> None:
        super().__init__(settings, conn)
        self.forgotten: list[bytes] = []

    def _send(self, records: list[tuple[str, bytes, bytes]]) -> list[Acknowledged]:
        if self.forgotten:
            return super()._send(records)
        kept = super()._send(records[::2])
        self.forgotten = [value for _, _, value in records[1::2]]
        acknowledged = []
        for index, (_, key, value) in enumerate(records):
            where = kept[index // 2]
            acknowledged.append(replace(where, key=key, value=value))
        return acknowledged


def test_relay_sends_again_what_the_broker_acknowledged_but_does_not_hold(
    settings: Settings,
) -> None:
    events = [sample_event(n) for n in range(20)]
    with psycopg.connect(settings.database_url) as conn:
        insert_events(conn, events)
        conn.commit()
        relay = ForgetfulBroker(settings, conn)
        assert relay.relay_once() == 20
        assert len(relay.forgotten) == 10
        assert relay.relay_once() == 0
        relay.drop_producer()
        row = conn.execute("SELECT unconfirmed_total FROM completeness").fetchone()
    assert row == (10,)
    got = read_topic(settings, ACCEPTED, 20)
    assert sorted({value["id"] for _, value in got}) == sorted(e["id"] for e in events)
