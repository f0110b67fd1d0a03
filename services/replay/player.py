"""The player: sends an archived incident into its exercise run, on the run's clock.

Events leave in scenario order — (time, source, id) — each when the clock reaches its time,
to the run's topic `exercise.{run}.events`, keyed by subject like `events.accepted`. Injects
fire in the same order, before the first event at or after their time. What was sent is
recorded with its scenario and exercise times, with the run's progress, after the broker has
acknowledged it; a re-send (after a rewind) is counted once by the figures.

Controls arrive as clock segments (runs.py); the player waits on the clock with a timeout, so a
pause, speed change or jump acts within milliseconds of its NOTIFY.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any

import orjson
import psycopg

from services.exercises import runs
from services.exercises.archive_pages import PAGE_EVENTS, ArchivePages, Key
from services.exercises.clock import ACTIVE, Segment, utc_now
from services.exercises.injects import Outages, added_events, outages_of
from services.replay.run_topic import RunTopic
from services.replay.sent_log import SentLog
from services.settings import Settings
from services.streaming.positions import EPOCH_HEADER, current_epoch
from services.streaming.security import client_options
from services.streaming.topics import ensure_topics, exercise_topic

log = logging.getLogger(__name__)

RECHECK_SECONDS = 1.0


class Next(Enum):
    SEND = "send"
    REWIND = "rewind"
    STOP = "stop"


@dataclass
class Progress:
    run: str
    state: str = "running"
    scenario_time: datetime | None = None
    events_sent: int = 0
    suppressed: int = 0
    injects_fired: list[str] = field(default_factory=list)


class Player:
    def __init__(
        self,
        settings: Settings,
        run: str,
        on_progress: Callable[[Progress], None] = lambda _: None,
    ) -> None:
        self.settings = settings
        self.conn = psycopg.connect(settings.require_database_url())
        self.run = runs.load_run(self.conn, run)
        self.conn.commit()
        self.topic = settings.topic(exercise_topic(run))
        self.on_progress = on_progress
        self.progress = Progress(run)
        self.changed = threading.Event()
        self.clock: list[Segment] = []
        self.outages = Outages()
        self.pending: list[runs.DueInject] = []
        self.sent: list[tuple[Any, ...]] = []
        self.rewind_to: datetime | None = None
        self._listening = threading.Thread(target=self._listen, daemon=True)
        self._stop_listening = threading.Event()

    def play(self) -> Progress:
        ensure_topics(self.settings, (exercise_topic(self.run.run),))
        epoch = str(current_epoch(self.conn)).encode()
        self.producer = RunTopic(client_options(self.settings), self.topic, [(EPOCH_HEADER, epoch)])
        self.pages = ArchivePages(self.settings.require_database_url(), self.run)
        self.log = SentLog(self.settings.require_database_url(), self.run.run)
        self._listening.start()
        try:
            self.pages.read_ahead((self.run.scenario_from, "", ""))
            runs.start_playing(self.conn, self.run.run)
            self._reload()
            self.outages = outages_of(runs.fired_effects(self.conn, self.run.run))
            self.conn.commit()
            self._play_from(self.run.scenario_from)
        finally:
            self._stop_listening.set()
            self.pages.close()
            self.producer.close()
            self.log.close()
            self._listening.join()
            self.conn.close()
        return self.progress

    def _play_from(self, start: datetime) -> None:
        key: Key = (start, "", "")
        while True:
            page = self._page(key)
            for time, source, id_, partner, type_, subject, body in page:
                step = self._wait_until_due(time)
                if step is Next.STOP:
                    return self._end("stopped")
                if step is Next.REWIND:
                    break
                if self.outages.silences(partner, time):
                    self.progress.suppressed += 1
                else:
                    meta = (source, id_, partner, type_, "replay")
                    self._send(subject, body.encode(), meta, time)
                key = (time, source, id_)
            else:
                if len(page) == PAGE_EVENTS:
                    continue
                # The last injects may come after the last event.
                step = self._wait_until_due(self.run.scenario_to)
                if step is Next.STOP:
                    return self._end("stopped")
                if step is Next.SEND:
                    return self._end("finished")
            assert self.rewind_to is not None
            key, self.rewind_to = (self.rewind_to, "", ""), None

    def _page(self, key: Key) -> list[tuple[Any, ...]]:
        self._record()
        return self.pages.page(key)

    def _wait_until_due(self, scenario_time: datetime) -> Next:
        """Block until the clock reaches `scenario_time`, firing the injects due on the way;
        or until a jump back, or the end of the run."""
        while True:
            if self.changed.is_set():
                self._reload()
            if self.rewind_to is not None:
                return Next.REWIND
            latest = self.clock[-1]
            if latest.state not in ACTIVE:
                return Next.STOP
            flat_out = latest.state == "running" and latest.speed is None
            if flat_out and not self.pending:
                return Next.SEND  # nothing to wait for
            now = utc_now()
            clock = scenario_time if flat_out else latest.scenario_at(now)
            while self.pending and self.pending[0].scenario_time <= min(scenario_time, clock):
                self._fire(self.pending.pop(0))
            if scenario_time <= clock:
                return Next.SEND
            due = latest.due_at(scenario_time)
            wait = RECHECK_SECONDS if due is None else (due - now).total_seconds()
            self._record()
            if not self.changed.wait(min(wait, RECHECK_SECONDS)) and due is None:
                self._reload()  # paused: look again now and then, should a NOTIFY be lost

    def _reload(self) -> None:
        """Read the clock and the injects waiting to fire again, after a control."""
        self.changed.clear()
        clock = runs.load_clock(self.conn, self.run.run)
        self.pending = runs.due_injects(self.conn, self.run.run)
        self.conn.commit()
        for segment in clock[len(self.clock) :]:
            # A jump back means sending again from there; a jump forward needs only the clock,
            # since everything before the new time is then due at once.
            last = self.progress.scenario_time
            if segment.control == "jump" and last is not None and segment.scenario_time < last:
                self.rewind_to = segment.scenario_time
        self.clock = clock
        self.progress.state = clock[-1].state

    def _fire(self, inject: runs.DueInject) -> None:
        self._record()
        if not runs.mark_fired(self.conn, self.run.run, inject.inject_id):
            self.conn.commit()
            return
        at = inject.scenario_time
        events = added_events(
            inject.inject_id, inject.effect, self.run.incident, self.run.run_time(at)
        )
        for event in events:
            meta = (event["source"], event["id"], event["partner"], event["type"], "inject")
            self._send(event["subject"], orjson.dumps(event), meta, at)
        self._record()  # the inject counts as fired only with its events sent
        self.outages.add(at, inject.effect)
        self.progress.injects_fired.append(inject.inject_id)
        log.info("inject fired", extra={"run": self.run.run, "inject": inject.inject_id})

    def _send(
        self, subject: str, value: bytes, meta: tuple[str, str, str, str, str], at: datetime
    ) -> None:
        now = utc_now()
        self.producer.send(subject.encode(), value, now)
        self.sent.append((self.run.run, *meta, at, now))
        self.progress.events_sent += 1
        self.progress.scenario_time = at
        if len(self.sent) >= PAGE_EVENTS:
            self._record()

    def _record(self) -> None:
        """Once the broker has every event sent so far, record them and the run's progress."""
        if not self.sent:
            self.conn.commit()  # also ends the transaction of any mark_fired
            return
        self.producer.flush()
        self.conn.commit()
        self.log.record(self.sent, self.progress.scenario_time)
        self.sent = []
        self.on_progress(self.progress)

    def _end(self, state: str) -> None:
        self._record()
        self.log.wait()
        if state == "finished":
            runs.finish(self.conn, self.run.run, self.run.scenario_to)
            self.conn.commit()
        self.progress.state = state
        self.on_progress(self.progress)
        log.info("run ended", extra={"run": self.run.run, "state": state})

    def _listen(self) -> None:
        with psycopg.connect(self.settings.require_database_url(), autocommit=True) as conn:
            conn.execute(f"LISTEN {runs.CHANNEL}")
            while not self._stop_listening.is_set():
                for note in conn.notifies(timeout=0.5):
                    if note.payload == self.run.run:
                        self.changed.set()
