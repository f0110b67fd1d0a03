"""Every panel's SQL as Grafana would send it, run on real PostgreSQL holding the demo incident:
it runs, it has the columns its panel reads, and the headline numbers are the sitrep's."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from psycopg import sql

from dashboards.alerts import (
    RULES,
    figures_behind_sql,
    hub_cover_sql,
    overwhelmed_sql,
    urgent_open_sql,
)
from dashboards.catalogue import dashboards_json
from dashboards.macros import expand
from dashboards.panels import (
    INCIDENT_ANNOTATIONS_SQL,
    INCIDENTS_SQL,
    INJECT_ANNOTATIONS_SQL,
    RUNS_SQL,
)
from dashboards.sitrep_sql import HEADLINES
from services.figures.editions import edition, issue
from services.figures.sitrep import Sitrep, sitrep
from services.figures.writer import apply_batch
from services.sharing.agreements import Terms
from services.sharing.store import add_agreement
from services.simulate import build
from services.store.partners import Partner, add_partner
from tests.support.places import load_places
from tests.support.reference.sitrep import Places
from tests.support.servers import with_database
from tests.support.sitrep_events import event, raised

DEMO = build("kingston-2020")
INCIDENT = DEMO.incident
EXERCISE = "exercise-1"
START = datetime.fromisoformat(str(DEMO.events[0]["time"])).astimezone(UTC)
LAST = datetime.fromisoformat(str(DEMO.events[-1]["time"])).astimezone(UTC)
# Range ends through the incident: a day in, mid-incident (not on an hour), the last event.
ENDS = [START + timedelta(days=1), START + timedelta(days=17, minutes=37, seconds=5), LAST]
MODELS = dashboards_json()
PANELS = [(m["uid"], p) for m in MODELS for p in m["panels"]]

Connection = psycopg.Connection[Any]


@pytest.fixture(scope="module")
def conn(server_url: str, template_db: str) -> Iterator[Connection]:
    """One database for the module: the whole demo incident live, and its first 9,000 events as
    an exercise run, loaded through the aggregator's writer."""
    name = f"tandem_dash_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(name), sql.Identifier(template_db)
            )
        )
    try:
        with psycopg.connect(with_database(server_url, name)) as connection:
            for run, events in (("live", DEMO.events), (EXERCISE, DEMO.events[:9000])):
                for first in range(0, len(events), 5000):
                    apply_batch(connection, run, events[first : first + 5000])
                    connection.commit()
            agree_between_demo_partners(connection)
            start_exercise(connection)
            place_demo_areas(connection)
            issue_editions(connection)
            yield connection
            connection.rollback()
    finally:
        with psycopg.connect(server_url, autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


def place_demo_areas(conn: Connection) -> None:
    """The demo's areas loaded as points, a grid of centres, for the maps' queries to place."""
    codes = sorted({str(e["data"]["area"]) for e in DEMO.events if "area" in e["data"]})
    centres = {code: (51.35 + n // 4 * 0.02, -0.33 + n % 4 * 0.03) for n, code in enumerate(codes)}
    load_places(conn, Places({code: code.title() for code in codes}, {}), centres)


def issue_editions(conn: Connection) -> None:
    """Two sitrep editions of the live incident, a day in and at its last event, for the
    overview's editions panels."""
    for at in (ENDS[0], LAST):
        issue(conn, INCIDENT, at, "resilience cell", at)


def start_exercise(conn: Connection) -> None:
    """The run's record and clock, as `tandem replay` writes them: started, then paused."""
    reached = datetime.fromisoformat(str(DEMO.events[8999]["time"]))
    conn.execute(
        "INSERT INTO exercise_runs (run, incident, scenario_from, scenario_to, reached,"
        " events_sent) VALUES (%s, %s, %s, %s, %s, 9000)",
        (EXERCISE, INCIDENT, START, LAST, reached),
    )
    conn.execute(
        "INSERT INTO exercise_clock (run, control, state, scenario_time, speed) VALUES"
        " (%(run)s, 'start', 'running', %(start)s, 3600), (%(run)s, 'pause', 'paused', %(at)s,"
        " 3600)",
        {"run": EXERCISE, "start": START, "at": reached},
    )
    conn.commit()


def agree_between_demo_partners(conn: Connection) -> None:
    """An agreement in force, for the partnership dashboard's review panel."""
    for partner in DEMO.partners:
        add_partner(conn, Partner(partner.id, partner.name))
    council, foodbank = DEMO.partners[0].id, DEMO.partners[1].id
    add_agreement(
        conn,
        Terms(
            council,
            foodbank,
            ("resilience.request.raised.v1",),
            ("request_id", "need"),
            "food parcels",
            False,
            START.date(),
            (START + timedelta(days=30)).date(),
        ),
    )


def query(
    conn: Connection, raw_sql: str, end: datetime, run: str = "live", start: datetime = START
) -> tuple[list[str], list[tuple[Any, ...]]]:
    cursor = conn.execute(expand(raw_sql, start, end, {"run": run, "incident": INCIDENT}))
    rows = cursor.fetchall()
    conn.rollback()
    return [column.name for column in cursor.description or []], rows


def number(value: Any) -> float | None:
    return None if value is None else float(value)


def is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal)


@pytest.mark.parametrize("uid,panel", PANELS, ids=[f"{u}:{p['title']}" for u, p in PANELS])
@pytest.mark.parametrize("run", ["live", EXERCISE])
def test_every_panel_runs_and_returns_what_its_panel_reads(
    conn: Connection, uid: str, panel: dict[str, Any], run: str
) -> None:
    for target in panel["targets"]:
        runs_and_returns_what_its_panel_reads(conn, panel, target, run)


def runs_and_returns_what_its_panel_reads(
    conn: Connection, panel: dict[str, Any], target: dict[str, Any], run: str
) -> None:
    found = 0
    for end in ENDS:
        columns, rows = query(conn, target["rawSql"], end, run)
        found += len(rows)
        assert len(set(columns)) == len(columns), f"duplicate columns {columns}"
        if panel["type"] == "geomap":  # markers at coordinates, coloured by a class
            assert {"latitude", "longitude", "map class"} <= set(columns)
            assert all(isinstance(row[columns.index("map class")], str) for row in rows)
        elif panel["type"] == "stat":
            assert columns == ["value"] and len(rows) == 1
            assert rows[0][0] is None or is_number(rows[0][0])
        elif panel["type"] in ("timeseries", "state-timeline"):
            assert columns[0] == "time"
            assert rows, f"no points up to {end}"
            times = [row[0] for row in rows]
            assert times == sorted(times)
            assert all(is_number(v) for row in rows for v in row[1:] if not isinstance(v, str))
        elif panel["type"] in ("bargauge", "barchart"):
            assert isinstance(rows[0][0], str) if rows else True
            assert all(is_number(v) for row in rows for v in row[1:])
        else:
            assert panel["type"] == "table"
    # The clock is an exercise run's alone: rows for the run, none live.
    about_the_run = "exercise_clock" in target["rawSql"]
    assert found or (run != "live" and not about_the_run) or (run == "live" and about_the_run)


@pytest.mark.parametrize("end", ENDS, ids=lambda end: end.isoformat())
@pytest.mark.parametrize("run", ["live", EXERCISE])
def test_headline_stat_panels_are_the_sitrep_at_the_end_of_the_range(
    conn: Connection, end: datetime, run: str
) -> None:
    report = sitrep(conn, INCIDENT, end, run)
    conn.rollback()
    stats = {p["targets"][0]["rawSql"] for _, p in PANELS if p["type"] == "stat"}
    for headline in HEADLINES:
        assert headline.sql in stats, f"{headline.key} is on no dashboard"
        _, ((value,),) = query(conn, headline.sql, end, run)
        assert number(value) == number(headline.of_sitrep(report)), headline.key


def panel_sql(title: str) -> str:
    (found,) = [p["targets"][0]["rawSql"] for _, p in PANELS if p["title"] == title]
    return found


def test_tables_and_bars_from_sitrep_sections_are_the_sitrep(conn: Connection) -> None:
    end = ENDS[1]
    report: Sitrep = sitrep(conn, INCIDENT, end)
    conn.rollback()

    def rows(title: str) -> list[tuple[Any, ...]]:
        return query(conn, panel_sql(title), end)[1]

    requests = report.requests
    assert dict(rows("Open requests by need")) == requests.open_by_need
    assert dict(rows("Open requests by priority")) == requests.open_by_priority
    assert dict(rows("Declines by reason")) == requests.declined_by_reason
    assert rows("Referral flows between partners") == [
        (r.from_partner, r.to, r.count) for r in report.referrals
    ]
    assert rows("Stock level per hub and item") == [
        (f"{s.hub_id} · {s.item}", s.level) for s in report.stock
    ]
    assert sorted(rows("Days of cover per hub and item")) == sorted(
        (f"{s.hub_id} · {s.item}", Decimal(str(s.days_of_cover)))
        for s in report.stock
        if s.days_of_cover is not None
    )
    assert [(hub, status, parcels) for hub, _, _, status, parcels in rows("Hub status")] == [
        (h.hub_id, h.status, h.parcels_per_day) for h in report.hubs
    ]
    assert rows("Partners") == [
        (p.partner, p.events, p.requests_accepted, p.requests_fulfilled, p.capacity_status)
        for p in report.partners
    ]
    assert dict(rows("Events published per partner")) == {
        p.partner: p.events for p in report.partners
    }


def test_open_over_24h_lies_between_open_and_open_over_72h(conn: Connection) -> None:
    end = ENDS[1]
    report = sitrep(conn, INCIDENT, end)
    conn.rollback()
    _, ((over_24h,),) = query(conn, panel_sql("Open over 24 hours"), end)
    assert report.requests.open_over_72h <= over_24h <= report.requests.open


def test_open_requests_by_age_at_the_last_hour_add_up_to_the_open_requests(
    conn: Connection,
) -> None:
    end = START + timedelta(days=17)  # on the hour, so the last point is the range end
    report = sitrep(conn, INCIDENT, end)
    conn.rollback()
    columns, rows = query(conn, panel_sql("Open requests by age, hour by hour"), end)
    assert columns == ["time", "under 24h", "24 to 72h", "over 72h"]
    last = rows[-1]
    assert number(last[0]) == end.timestamp()
    assert sum(last[1:]) == report.requests.open
    assert last[3] == report.requests.open_over_72h


def test_exercise_figures_sit_beside_the_originals(conn: Connection) -> None:
    end = ENDS[1]
    live, exercise = sitrep(conn, INCIDENT, end), sitrep(conn, INCIDENT, end, EXERCISE)
    conn.rollback()
    columns, rows = query(
        conn, panel_sql("Headline figures: exercise against original"), end, EXERCISE
    )
    assert columns == ["figure", "exercise", "original", "difference"]
    assert [row[0] for row in rows] == [headline.title for headline in HEADLINES]
    for (_, in_run, original, difference), headline in zip(rows, HEADLINES, strict=True):
        assert number(in_run) == number(headline.of_sitrep(exercise)), headline.key
        assert number(original) == number(headline.of_sitrep(live)), headline.key
        if in_run is not None and original is not None:
            assert difference == in_run - original
    _, ((reached,),) = query(conn, panel_sql("Scenario time reached"), end, EXERCISE)
    assert reached / 1000 == datetime.fromisoformat(str(DEMO.events[8999]["time"])).timestamp()
    _, ((progress,),) = query(conn, panel_sql("Events replayed"), end, EXERCISE)
    assert 0 < progress < 100


def test_the_variables_offer_live_first_and_the_incidents_of_the_run(conn: Connection) -> None:
    assert query(conn, RUNS_SQL, LAST)[1] == [("live",), (EXERCISE,)]
    assert query(conn, INCIDENTS_SQL, LAST)[1] == [(INCIDENT,)]
    assert query(conn, INCIDENTS_SQL, LAST, run="no-such-run")[1] == []


def test_the_annotations_mark_the_incident_declared(conn: Connection) -> None:
    columns, rows = query(conn, INCIDENT_ANNOTATIONS_SQL, LAST)
    assert columns == ["time", "text", "tags"]
    ((time, text, tags),) = rows
    assert time == START
    assert text.startswith("Incident declared: Kingston upon Thames") and text.endswith("(level 3)")
    assert tags == "incident,declared"
    assert query(conn, INCIDENT_ANNOTATIONS_SQL, LAST, start=START + timedelta(hours=1))[1] == []


def literal(at: datetime) -> str:
    return f"'{at.isoformat()}'"


def test_alert_queries_give_one_labelled_number_per_thing_to_watch(conn: Connection) -> None:
    at = ENDS[1]
    report = sitrep(conn, INCIDENT, at)
    conn.rollback()
    for alert in (rule for rule in RULES if rule.per_incident):
        conn.execute("SET LOCAL ROLE tandem_figures_reader")  # as Grafana runs it
        cursor = conn.execute(alert.sql(literal(at)))
        rows = cursor.fetchall()
        conn.rollback()
        assert rows, alert.uid
        names = [column.name for column in cursor.description or []]
        assert names[0] == "incident" and names[-1] == "value"
        assert all(isinstance(v, str) for row in rows for v in row[:-1])
    cover = conn.execute(hub_cover_sql(literal(at))).fetchall()
    assert [(hub, item, float(days)) for _, hub, item, days in cover] == [
        (s.hub_id, s.item, s.days_of_cover) for s in report.stock if s.days_of_cover is not None
    ]
    overwhelmed = conn.execute(overwhelmed_sql(literal(at))).fetchall()
    assert {p: v == 1 for _, p, v in overwhelmed} == {
        p.partner: p.capacity_status == "overwhelmed" for p in report.partners if p.capacity_status
    }
    conn.rollback()


def test_the_figures_behind_alert_gives_the_oldest_uncounted_events_age(conn: Connection) -> None:
    at = ENDS[1]
    assert conn.execute(figures_behind_sql(literal(at))).fetchall() == []  # nothing behind
    conn.execute(
        "UPDATE completeness SET checked_at = %s, oldest_uncounted_at = %s",
        (at - timedelta(seconds=3), at - timedelta(seconds=75)),
    )
    assert conn.execute(figures_behind_sql(literal(at))).fetchall() == [(75,)]
    conn.rollback()


def test_the_figures_behind_alert_fires_when_the_reconciler_itself_has_stopped(
    conn: Connection,
) -> None:
    """The relay (and the reconciler, its thread) stopped 90 s ago: its last round found
    everything complete, and whatever was stored since reaches no consumer. Grafana's role, which
    may not read the store, sees the alert fire all the same."""
    at = ENDS[1]
    conn.execute("UPDATE completeness SET checked_at = %s", (at - timedelta(seconds=90),))
    conn.execute("SET LOCAL ROLE tandem_figures_reader")
    assert conn.execute(figures_behind_sql(literal(at))).fetchall() == [(90,)]
    conn.execute("RESET ROLE")
    conn.execute("UPDATE completeness SET checked_at = %s", (at - timedelta(seconds=3),))
    assert conn.execute(figures_behind_sql(literal(at))).fetchall() == []  # it reports: trusted
    conn.rollback()


def test_alerts_watch_only_incidents_declared_and_not_stood_down(database_url: str) -> None:
    now = datetime(2024, 3, 10, 12, 0, tzinfo=UTC)
    declared = event(
        "incident.declared",
        (now - timedelta(days=1)).isoformat(),
        incident="flood-2024",
        name="Flood",
        level=2,
    )
    urgent = raised(
        "r1", (now - timedelta(hours=5)).isoformat(), priority="urgent", incident="flood-2024"
    )
    recent = raised(
        "r2", (now - timedelta(hours=3)).isoformat(), priority="urgent", incident="flood-2024"
    )
    stood_down = event(
        "incident.stood_down", (now - timedelta(minutes=5)).isoformat(), incident="flood-2024"
    )
    with psycopg.connect(database_url) as conn:
        apply_batch(conn, "live", [declared, urgent, recent])
        conn.commit()
        assert conn.execute(urgent_open_sql(literal(now))).fetchall() == [("flood-2024", 1)]
        apply_batch(conn, "live", [stood_down])
        conn.commit()
        assert conn.execute(urgent_open_sql(literal(now))).fetchall() == []


def test_injects_show_on_the_run_they_belong_to(database_url: str) -> None:
    """The inject annotation returns a run's fired and scheduled injects, not skipped ones, at
    run time (the scenario time moved by the run's shift)."""
    with psycopg.connect(database_url) as conn:
        conn.execute(
            "INSERT INTO exercise_runs (run, incident, scenario_from, scenario_to, shift) VALUES"
            " ('ex-1', 'kingston-2020-demo', '2020-03-16Z', '2020-04-30Z', '2 days'),"
            " ('ex-2', 'kingston-2020-demo', '2020-03-16Z', '2020-04-30Z', '0')"
        )
        conn.execute(
            "INSERT INTO exercise_injects (run, inject_id, scenario_time, synopsis, status)"
            " VALUES ('ex-1', 'i1', '2020-03-20T10:00Z', 'Hub closes', 'fired'),"
            "        ('ex-1', 'i2', '2020-03-21T10:00Z', 'Surge', 'skipped'),"
            "        ('ex-2', 'i1', '2020-03-20T10:00Z', 'Other run', 'fired')"
        )
        query = expand(
            INJECT_ANNOTATIONS_SQL,
            datetime(2020, 3, 16, tzinfo=UTC),
            datetime(2020, 4, 30, tzinfo=UTC),
            {"run": "ex-1", "incident": "kingston-2020-demo"},
        )
        rows = conn.execute(query).fetchall()
    assert rows == [
        (datetime(2020, 3, 22, 10, tzinfo=UTC), "Inject i1: Hub closes", "inject,fired")
    ]


def test_the_editions_panels_read_the_latest_edition_and_its_changes(conn: Connection) -> None:
    overview = next(m for m in MODELS if m["uid"] == "tandem-overview")
    panels = {p["title"]: p["targets"][0]["rawSql"] for p in overview["panels"]}
    latest = edition(conn, INCIDENT, 2)
    conn.rollback()
    columns, rows = query(conn, panels["Latest sitrep edition"], LAST)
    assert columns == ["edition", "as at", "issued at", "issued by", "figures changed"]
    assert rows == [(2, LAST, LAST, "resilience cell", len(latest.changes))]
    columns, rows = query(conn, panels["What changed since the edition before"], LAST)
    assert columns == ["figure", "now", "then", "change"]
    assert {row[0] for row in rows} == set(latest.changes) and len(rows) > 10
    numeric = [abs(row[3]) for row in rows if row[3] is not None]
    assert numeric == sorted(numeric, reverse=True)
    opened = latest.changes["requests.raised_total"]
    assert ("requests.raised_total", str(opened.now), str(opened.then), opened.change) in rows
    assert query(conn, panels["Latest sitrep edition"], LAST, EXERCISE)[1] == []
