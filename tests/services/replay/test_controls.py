"""Facilitator controls on the command line and over HTTP, without a player: each appends to
the run's clock; what cannot apply is refused with its reason."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
import orjson
import psycopg
import pytest

from services.exercises import runs
from services.exercises.injects import Inject
from services.replay.session import ReplayPlan, create
from services.settings import Settings
from services.store.partners import Partner, add_partner
from tests.support.exercise_fixtures import INCIDENT, archive, compressed
from tests.support.servers import run_tandem, running_gateway

EVENTS = compressed(50, timedelta(hours=1))
START = min(datetime.fromisoformat(e["time"]) for e in EVENTS)


@pytest.fixture
def run(settings: Settings) -> str:
    archive(str(settings.database_url), EVENTS, live=False)
    with psycopg.connect(str(settings.database_url)) as conn:
        create(conn, ReplayPlan(incident=INCIDENT, run="drill", speed=60.0))
    return "drill"


def clock(settings: Settings) -> list[tuple[str, str, float | None]]:
    with psycopg.connect(str(settings.database_url)) as conn:
        return [(s.control, s.state, s.speed) for s in runs.load_clock(conn, "drill")]


def test_controls_on_the_command_line(settings: Settings, run: str) -> None:
    env = settings.child_env()
    for args in (("pause", run), ("speed", run, "120"), ("resume", run)):
        done = run_tandem(env, "replay", *args)
        assert done.returncode == 0, done.stderr
    jumped = run_tandem(env, "replay", "jump", run, (START + timedelta(minutes=30)).isoformat())
    assert jumped.returncode == 0, jumped.stderr
    assert clock(settings) == [
        ("start", "running", 60.0),
        ("pause", "paused", 60.0),
        ("speed", "paused", 120.0),
        ("resume", "running", 120.0),
        ("jump", "running", 120.0),
    ]
    shown = run_tandem(env, "replay", "status", "--format", "json")
    (status,) = orjson.loads(shown.stdout)
    assert status["run"] == run and status["state"] == "running" and status["speed"] == 120.0
    assert datetime.fromisoformat(status["clock"]) >= START + timedelta(minutes=30)
    table = run_tandem(env, "replay", "status")
    assert f"| {run} | {INCIDENT} | running | 120x |" in table.stdout
    assert run_tandem(env, "replay", "stop", run).returncode == 0
    refused = run_tandem(env, "replay", "pause", run)
    assert refused.returncode == 1 and refused.stderr == f"tandem: run {run} is stopped\n"


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (("pause", "nope"), "no exercise run nope"),
        (("speed", "drill", "0"), "--speed must be a positive number or max"),
        (("jump", "drill", "yesterday"), "jump: at 'yesterday'"),
        (("hold", "drill", "nothing"), "run drill has no scheduled inject nothing"),
        (("facilitator", "drill", "nobody"), "no partner nobody: add it first"),
        (("facilitator", "nope", "nobody"), "no exercise run nope"),
        (("--incident", INCIDENT, "--run", "r2", "--facilitator", "nobody"), "no partner nobody"),
        (("--incident", "unknown", "--run", "other"), "no archived events of incident unknown"),
        (("--incident", INCIDENT, "--run", "drill"), "run drill exists already"),
        (("--incident", INCIDENT, "--run", INCIDENT), f"{INCIDENT} is the id of an incident"),
        (("--incident", INCIDENT), "replay needs --incident and --run"),
    ],
)
def test_refusals_say_why(settings: Settings, run: str, args: tuple[str, ...], reason: str) -> None:
    done = run_tandem(settings.child_env(), "replay", *args)
    assert done.returncode != 0
    assert done.stderr.startswith(f"tandem: {reason}"), done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_controls_over_http(settings: Settings, run: str) -> None:
    with psycopg.connect(str(settings.database_url)) as conn:
        token = add_partner(conn, Partner("rbk-emergency-planning", "Kingston emergency planning"))
    named = run_tandem(settings.child_env(), "replay", "facilitator", run, "rbk-emergency-planning")
    assert named.returncode == 0, named.stderr
    with running_gateway(settings) as url, httpx.Client(base_url=url) as http:
        assert http.post(f"/v1/runs/{run}/pause").status_code == 401
        http.headers["Authorization"] = f"Bearer {token}"
        paused = http.post(f"/v1/runs/{run}/pause")
        assert paused.status_code == 200 and paused.json()["state"] == "paused"
        assert http.post(f"/v1/runs/{run}/speed", json={"speed": None}).json()["speed"] is None
        to = (START + timedelta(minutes=10)).isoformat()
        jumped = http.post(f"/v1/runs/{run}/jump", json={"to": to}).json()
        assert datetime.fromisoformat(jumped["scenario_time"]) == START + timedelta(minutes=10)
        assert http.post(f"/v1/runs/{run}/speed", json={"speed": -1}).status_code == 422
        assert http.post("/v1/runs/nope/pause").status_code == 404
        bad = {
            "id": "x",
            "at": to,
            "synopsis": "s",
            "events": [
                {"type": "resilience.hub.status.v1", "partner": "p", "subject": "h", "data": {}}
            ],
        }
        assert http.post(f"/v1/runs/{run}/injects", json=bad).status_code == 422
        [status] = http.get("/v1/runs").json()
        assert status["state"] == "paused" and status["speed"] is None
        assert status["facilitators"] == ["rbk-emergency-planning"]
        assert http.post(f"/v1/runs/{run}/stop").json()["state"] == "stopped"
        assert http.post(f"/v1/runs/{run}/resume").status_code == 409


SURGE = {
    "id": "surge",
    "at": START.isoformat(),
    "synopsis": "A surge of urgent requests",
    "events": [
        {
            "type": "resilience.partner.capacity.v1",
            "partner": "rbk-council",
            "subject": "rbk-council",
            "data": {"need": "food", "capacity_per_day": 0, "status": "overwhelmed"},
        }
    ],
}


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/v1/runs/drill/pause", None),
        ("POST", "/v1/runs/drill/stop", None),
        ("POST", "/v1/runs/drill/speed", {"speed": 1000}),
        ("POST", "/v1/runs/drill/jump", {"to": "2020-03-20T00:00:00Z"}),
        ("POST", "/v1/runs/drill/injects", SURGE),
        ("POST", "/v1/runs/drill/injects/surge/skip", None),
    ],
)
def test_players_read_a_run_but_cannot_steer_it(
    settings: Settings, run: str, method: str, path: str, body: object
) -> None:
    """A partner playing in the run (not one of its facilitators) is refused with 403 and the
    reason, and the run is untouched; it may still read how the run stands."""
    with psycopg.connect(str(settings.database_url)) as conn:
        token = add_partner(conn, Partner("rbk-council", "Royal Borough of Kingston"))
        runs.add_inject(conn, run, Inject.model_validate(SURGE), ad_hoc=False)
        conn.commit()
    before = clock(settings)
    auth = {"Authorization": f"Bearer {token}"}
    with running_gateway(settings) as url, httpx.Client(base_url=url, headers=auth) as http:
        refused = http.request(method, path, json=body)
        assert refused.status_code == 403
        assert "rbk-council is not a facilitator of run drill" in refused.json()["detail"]
        [status] = http.get("/v1/runs").json()
    assert clock(settings) == before
    assert status["injects"] == {"scheduled": 1} and status["facilitators"] == []


def test_a_runs_sitrep_is_by_default_where_its_clock_stands(settings: Settings, run: str) -> None:
    env = settings.child_env()
    to = START + timedelta(minutes=20)
    for args in (("pause", run), ("jump", run, to.isoformat())):
        assert run_tandem(env, "replay", *args).returncode == 0
    shown = run_tandem(env, "sitrep", "--incident", INCIDENT, "--run", run)
    assert shown.returncode == 0, shown.stderr
    assert datetime.fromisoformat(orjson.loads(shown.stdout)["at"]) == to
    unknown = run_tandem(env, "sitrep", "--incident", INCIDENT, "--run", "nope")
    assert unknown.returncode == 1 and unknown.stderr == "tandem: no exercise run nope\n"
