"""Fuzzing `POST /v1/events` from the contract's events: valid events of every type, some with
what CloudEvents producers add (extension attributes, well or badly named, kept or dropped;
`data` as `data_base64`), then one of them broken — a field dropped, an unknown field, a value
of the wrong type, a word outside its enum, a huge string, unicode edge cases. Over real HTTP
against real PostgreSQL, each answer must be the contract's own verdict on the same bytes: 202
with every event stored (without a dropped extension) and countable by the aggregator, naming
what was dropped, or 422 listing every problem with nothing of the request stored and the
refusal kept. Never a 5xx, and the gateway serves on after."""

from __future__ import annotations

import base64
import json
import re
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import hypothesis
import orjson
import psycopg
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schemas import ContractError, parse_batch_json, parse_event_json
from schemas.envelope import KEPT_EXTENSIONS, Envelope
from schemas.ids import ID_PATTERN
from services.figures.writer import apply_batch
from tests.support.contract_fixtures import VALID_EVENTS
from tests.support.gateway_http import BATCH, SINGLE, Gateway

Event = dict[str, Any]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)
edge_text = st.one_of(
    st.text(st.characters(codec="utf-8"), min_size=1, max_size=40),
    st.sampled_from(
        [
            "",
            " ",
            "\x00",
            "a\x00b",
            "\u202eevil",
            "e\u0301",
            "\ufeffbom",
            "\U0001f600",
            "\u2028",
            "\ud800",
            "\uff21",
            "x" * 65,
        ]
    ),
    st.sampled_from([10_000, 1_000_000]).map(lambda n: "x" * n),
)
offsets = st.integers(-14 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m)))


@st.composite
def valid_events(draw: st.DrawFn) -> Event:
    event: Event = orjson.loads(orjson.dumps(draw(st.sampled_from(VALID_EVENTS))))
    moment = draw(st.datetimes(datetime(1990, 1, 1), datetime(2090, 1, 1), timezones=offsets))
    event["time"] = moment.isoformat()
    event["incident"] = draw(st.from_regex(ID_PATTERN, fullmatch=True))
    event["id"] = draw(st.text(st.characters(min_codepoint=33, max_codepoint=126), max_size=60))
    return event


def paths(event: Event) -> list[tuple[str, ...]]:
    """Every attribute of the event and every field of its data."""
    data = event.get("data")
    inner = [("data", name) for name in data] if isinstance(data, dict) else []
    return [(name,) for name in event] + inner


def replace(event: Event, path: tuple[str, ...], value: object) -> None:
    *parents, name = path
    target = event
    for parent in parents:
        target = target[parent]
    target[name] = value


@st.composite
def broken(draw: st.DrawFn, event: Event) -> Event:
    path = draw(st.sampled_from(paths(event)))
    how = draw(st.sampled_from(["drop", "unknown field", "wrong type", "not in enum", "text"]))
    if how == "drop":
        *parents, name = path
        target = event
        for parent in parents:
            target = target[parent]
        del target[name]
    elif how == "unknown field":
        where = path[:-1] if len(path) > 1 else ()
        name = draw(st.text(min_size=1, max_size=20).filter(lambda n: n not in paths(event)))
        replace(event, (*where, name), draw(json_values))
    elif how == "wrong type":
        replace(event, path, draw(json_values))
    elif how == "not in enum":
        replace(event, path, draw(st.text(st.characters(codec="ascii"), max_size=20)))
    else:
        replace(event, path, draw(edge_text))
    return event


EXTENSION_NAME = r"[a-z0-9]{1,20}"
utf8_text = st.text(st.characters(codec="utf-8"), max_size=40)
TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


@st.composite
def with_additions(draw: st.DrawFn, event: Event) -> Event:
    """The event with what a CloudEvents producer may add: an extension (documented, another
    one, or a name the specification does not allow), or `data` as `data_base64` (its JSON,
    something else, or beside `data`)."""
    how = draw(st.sampled_from(["kept", "other", "bad name", "base64", "base64 junk", "both"]))
    if how == "kept":
        name = draw(st.sampled_from(KEPT_EXTENSIONS))
        event[name] = draw(st.one_of(st.sampled_from([TRACEPARENT, "key-1"]), utf8_text))
    elif how == "other":
        name = draw(st.from_regex(EXTENSION_NAME, fullmatch=True))
        event[name] = draw(json_values)
    elif how == "bad name":
        name = draw(st.text(min_size=0, max_size=25).filter(lambda n: n not in paths(event)))
        event[name] = draw(json_values)
    elif how in ("base64", "both"):
        encoded = base64.b64encode(orjson.dumps(event["data"])).decode()
        event["data_base64"] = encoded
        if how == "base64":
            del event["data"]
    else:
        del event["data"]
        event["data_base64"] = draw(
            st.one_of(utf8_text, st.binary().map(lambda b: base64.b64encode(b).decode()))
        )
    return event


def dropped_names(event: Event) -> list[str]:
    """What the spec says the door drops: names it allows that are not the contract's."""
    return sorted(
        name
        for name in event
        if re.fullmatch(EXTENSION_NAME, name) and name not in Envelope.model_fields
    )


@st.composite
def requests(draw: st.DrawFn) -> tuple[list[Event], bool]:
    """A batch of 1–4 events, some with additions, maybe one of them broken, and whether to
    send it as one event."""
    events = draw(st.lists(valid_events(), min_size=1, max_size=4))
    events = [draw(with_additions(e)) if draw(st.booleans()) else e for e in events]
    if draw(st.booleans()):
        at = draw(st.integers(0, len(events) - 1))
        events[at] = draw(broken(events[at]))
    return events, len(events) == 1 and draw(st.booleans())


def verdict(body: bytes, single: bool) -> list[Any] | None:
    """The contract's problems with these exact bytes (as the gateway would list them), or None
    if it accepts them."""
    try:
        parse_event_json(body) if single else parse_batch_json(body)
    except ContractError as error:
        return sorted((p.index, p.field) for p in error.problems)
    return None


def stored_bodies(conn: psycopg.Connection[Any], ids: list[str]) -> list[str]:
    # An id with a NUL cannot be in PostgreSQL's text, nor so in the store, nor asked about.
    storable = [i for i in ids if "\x00" not in i]
    rows = conn.execute("SELECT body FROM events WHERE id = ANY(%s)", (storable,)).fetchall()
    return [str(body) for (body,) in rows]


def dead_letter_count(conn: psycopg.Connection[Any]) -> int:
    row = conn.execute("SELECT count(*) FROM dead_letters").fetchone()
    return int(row[0]) if row else 0


def as_json(value: object) -> bytes:
    """orjson's bytes, or the standard library's for what orjson cannot write (an integer over
    64 bits, which a hostile partner may well send)."""
    try:
        return orjson.dumps(value)
    except TypeError:
        return json.dumps(value, separators=(",", ":")).encode()


def test_events_broken_at_random_are_refused_whole_and_good_ones_stored(gateway: Gateway) -> None:
    http = httpx.Client(
        base_url=gateway.url, headers={"Authorization": f"Bearer {gateway.token}"}, timeout=30
    )
    conn = psycopg.connect(gateway.database_url, autocommit=True)

    @settings(
        max_examples=60,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(request=requests())
    def publish(request: tuple[list[Event], bool]) -> None:
        events, single = request
        run = uuid.uuid4().hex[:12]
        for event in events:
            if isinstance(event.get("id"), str):
                event["id"] = f"{run}-{event['id']}"
        body = as_json(events[0] if single else events)
        expected = verdict(body, single)
        letters = dead_letter_count(conn)

        response = http.post(
            "/v1/events", content=body, headers={"Content-Type": SINGLE if single else BATCH}
        )

        sent_ids = [e["id"] for e in events if isinstance(e.get("id"), str)]
        stored = stored_bodies(conn, sent_ids)
        hypothesis.event(f"{response.status_code} {'one event' if single else 'batch'}")
        if expected is None:
            assert response.status_code == 202, response.text
            reply = response.json()
            assert reply["accepted"] + reply["duplicates"] == len(events)
            dropped: dict[str, set[str]] = {}
            for event in events:
                if names := dropped_names(event):
                    dropped.setdefault(event["id"], set()).update(names)
            assert reply.get("dropped", {}) == {i: sorted(n) for i, n in dropped.items()}
            assert len(stored) == len({(e["source"], e["id"]) for e in events})
            assert all(set(orjson.loads(body)) <= set(Envelope.model_fields) for body in stored)
            with conn.transaction(force_rollback=True):
                # What the aggregator does with them: an accepted event must never be one that
                # stops the figures.
                assert apply_batch(conn, "live", stored) == len(stored)
        else:
            assert response.status_code == 422, response.text
            problems = response.json()["problems"]
            assert sorted((p["index"], p["field"]) for p in problems) == expected
            assert all(p["reason"] for p in problems)
            assert stored == []
            assert dead_letter_count(conn) == letters + 1

    try:
        publish()
    finally:
        http.close()
        conn.close()
    gateway.assert_serving()
