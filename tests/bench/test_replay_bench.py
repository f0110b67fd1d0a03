"""Replay at `--speed max`: archive → exercise topic, beside the broker's raw produce rate for
the same records, measured in the same run."""

from __future__ import annotations

import time

import orjson
import psycopg
import pytest

from services.exercises.archive_pages import PAGE_EVENTS
from services.exercises.clock import utc_now
from services.replay.player import Player
from services.replay.run_topic import RunTopic
from services.replay.session import ReplayPlan, create
from services.settings import Settings
from services.streaming.security import client_options
from services.streaming.topics import ensure_topics, exercise_topic
from tests.bench.conftest import Results
from tests.support.workload import incident_copies

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

INCIDENT = "bench-replay"
COPIES = 4  # about 143,000 events


def archived(database_url: str) -> list[dict[str, object]]:
    events = [{**e, "incident": INCIDENT} for e in incident_copies(COPIES)]
    with (
        psycopg.connect(database_url) as conn,
        conn.cursor() as cur,
        cur.copy(
            "COPY archive (source, id, incident, time, type, partner, subject, body) FROM STDIN"
        ) as copy,
    ):
        for e in events:
            copy.write_row(
                (
                    e["source"],
                    e["id"],
                    INCIDENT,
                    e["time"],
                    e["type"],
                    e["partner"],
                    e["subject"],
                    orjson.dumps(e).decode(),
                )
            )
    return events


def raw_produce_rate(settings: Settings, events: list[dict[str, object]]) -> float:
    """The broker's raw rate: the same records, sent as the player sends them (aiokafka batches
    per partition), with nothing read or recorded."""
    ensure_topics(settings, (exercise_topic("bench-raw"),))
    records = [(str(e["subject"]).encode(), orjson.dumps(e)) for e in events]
    topic = RunTopic(client_options(settings), settings.topic(exercise_topic("bench-raw")), [])
    started = time.perf_counter()
    for first in range(0, len(records), PAGE_EVENTS):
        for key, value in records[first : first + PAGE_EVENTS]:
            topic.send(key, value, utc_now())
        topic.flush()
    rate = len(records) / (time.perf_counter() - started)
    topic.close()
    return rate


def test_replay_at_max_speed(settings: Settings, results: Results) -> None:
    events = archived(str(settings.database_url))
    raw = raw_produce_rate(settings, events)
    with psycopg.connect(str(settings.database_url)) as conn:
        create(conn, ReplayPlan(incident=INCIDENT, run="bench", speed=None))
    started = time.perf_counter()
    progress = Player(settings, "bench").play()
    rate = progress.events_sent / (time.perf_counter() - started)
    assert progress.events_sent == len(events)
    results.add(
        "replay at --speed max, archive → exercise topic (sent and recorded)",
        f"{rate:,.0f} events/s ({rate / raw:.2f}× raw produce)",
        f"the broker taking the same {len(events):,} records, nothing else {raw:,.0f}/s",
        "≥ 20,000 events/s " + ("✅" if rate >= 20_000 else "❌"),
    )
