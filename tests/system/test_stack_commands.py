"""One stack per data directory, and the commands around it, on real `tandem up` processes:
a second `tandem up` refused without harm, `tandem status` and other commands from a subfolder
of the project, a SIGKILLed `tandem up` that does not block the next, and `tandem down`.

The tests before `test_down_from_another_process_stops_everything` share one stack (each
`tandem up` costs seconds and a few hundred MB), in the order they are written."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psutil
import psycopg
import pytest

from infra.broker import free_port
from infra.postgres import EmbeddedPostgres
from infra.stack_lock import StackRunning, hold
from services.settings import STACK_FILE, Settings, find_data_dir
from services.simulate import build
from tests.support.footprint import SERVICES as EVERY_SERVICE
from tests.support.servers import run_tandem, wait_for
from tests.support.stack_process import running_with, short_data_dir, start, stop, wait_ready

# No variable points anywhere: the commands find the stack from the folder they run in.
NOWHERE = dict.fromkeys(
    ("TANDEM_DATA_DIR", "DATABASE_URL", "KAFKA_BOOTSTRAP", "TANDEM_GATEWAY_URL"), ""
)
# Every service `tandem up` runs: the one list the tests keep (tests/infra/test_k8s.py holds
# it to infra/stack.py).
SERVICES = set(EVERY_SERVICE)
DEMO_SPEED = 1_000_000.0  # the demo's six weeks in a few seconds


@dataclass
class Project:
    """A folder holding `.tandem/`, a subfolder to run commands in, and its `tandem up`."""

    data_dir: Path
    logs: Path
    port: int = field(default_factory=free_port)
    postgres_port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    started: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def subfolder(self) -> Path:
        return self.data_dir.parent / "examples" / "deeper"

    def up(self, out: str, demo_speed: float | None = None) -> subprocess.Popen[bytes]:
        self.started = datetime.now(UTC).replace(microsecond=0)
        more = ("--postgres-port", str(self.postgres_port))
        self.process = start(self.data_dir, self.port, self.logs / out, demo_speed, *more)
        wait_ready(self.logs / out)
        return self.process

    def tandem(self, *args: str) -> subprocess.CompletedProcess[str]:
        return run_tandem(NOWHERE, *args, cwd=self.subfolder)

    def status(self) -> dict[str, Any]:
        answer = self.tandem("status", "--format", "json")
        assert answer.returncode == 0, answer.stderr
        found: dict[str, Any] = json.loads(answer.stdout)
        return found

    def recorded(self) -> dict[str, Any]:
        record: dict[str, Any] = json.loads((self.data_dir / STACK_FILE).read_text())
        return record


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Project]:
    logs = tmp_path_factory.mktemp("one-stack")
    with short_data_dir(keep_logs_in=logs, name=".tandem") as data_dir:
        project = Project(data_dir, logs)
        project.subfolder.mkdir(parents=True)
        try:
            project.up("up-1.log", DEMO_SPEED)
            yield project
        finally:
            if project.process is not None and project.process.poll() is None:
                stop(project.process)
            EmbeddedPostgres(data_dir / "pg").stop()  # left by a killed run, if any


def live(pid: int) -> bool:
    """Running, or yet to be: not a zombie (the embedded PostgreSQL's parent is init, which
    here reaps late)."""
    try:
        return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return False


def every_pid(record: dict[str, Any]) -> list[int]:
    return [record["pid"], *record["services"].values(), *record["servers"].values()]


def test_a_second_up_names_the_running_stack_and_touches_nothing(project: Project) -> None:
    before = (project.data_dir / STACK_FILE).read_bytes()
    record = project.recorded()
    other_port = free_port()
    started = time.monotonic()
    second = run_tandem(
        NOWHERE, "up", "--no-demo", "--data-dir", str(project.data_dir), "--port", str(other_port)
    )
    took = time.monotonic() - started

    assert second.returncode != 0
    assert took < 10
    assert f"a stack already runs from {project.data_dir}" in second.stderr
    assert f"gateway http://127.0.0.1:{project.port}" in second.stderr
    assert f"tandem up pid {project.process.pid if project.process else None}" in second.stderr
    assert (project.data_dir / STACK_FILE).read_bytes() == before
    assert all(live(pid) for pid in every_pid(record))
    assert httpx.get(f"http://127.0.0.1:{project.port}/readyz", timeout=5).status_code == 200
    with pytest.raises(httpx.ConnectError):  # the second started no gateway of its own
        httpx.get(f"http://127.0.0.1:{other_port}/readyz", timeout=5)


def test_an_up_on_a_port_taken_by_another_stack_says_so(project: Project, tmp_path: Path) -> None:
    other = run_tandem(
        NOWHERE, "up", "--no-demo", "--data-dir", str(tmp_path / "d"), "--port", str(project.port)
    )
    assert other.returncode == 1
    assert f"port {project.port} is taken" in other.stderr
    assert "Tandem is ready." not in other.stdout
    assert not (tmp_path / "d" / "pg").exists()  # it gave up before starting anything


def test_status_from_a_subfolder_shows_what_runs(project: Project) -> None:
    assert project.process is not None
    demo_events = len(build("kingston-2020").events)

    def demo_finished() -> dict[str, Any] | None:
        demo = project.status()["stack"]["demo"]
        return demo if demo and demo["finished"] else None

    demo = wait_for(demo_finished, 60, "the demo streamed", every=0.5)
    assert demo["sent"] == demo["total"] == demo_events
    assert demo["incident"] == "kingston-2020-demo"

    found = project.status()
    stack = found["stack"]
    assert found["data_dir"] == str(project.data_dir)
    assert found["gateway"] == stack["gateway_url"] == f"http://127.0.0.1:{project.port}"
    assert stack["pid"] == project.process.pid and stack["alive"]
    assert project.started <= datetime.fromisoformat(stack["started_at"]) <= datetime.now(UTC)
    children = {p.pid for p in psutil.Process(project.process.pid).children()}
    assert set(stack["services"]) == SERVICES
    for name, service in stack["services"].items():
        assert service["alive"] and service["pid"] in children, name
    postmaster = int((project.data_dir / "pg" / "postmaster.pid").read_text().split()[0])
    assert stack["servers"]["postgres"] == {"pid": postmaster, "alive": True}
    assert stack["servers"]["broker"]["alive"] and stack["servers"]["broker"]["pid"] in children
    assert stack["kafka_bootstrap"].startswith("127.0.0.1:")
    assert str(project.data_dir / "pg") in stack["database_url"]
    assert "uncounted" in found["figures"]

    text = project.tandem("status")
    assert text.returncode == 0, text.stderr
    lines = text.stdout.splitlines()
    assert lines[0].startswith(f"stack     runs from {project.data_dir} since ")
    assert f"gateway   http://127.0.0.1:{project.port}" in lines
    for name in SERVICES:
        pid = stack["services"][name]["pid"]
        assert any(line.split() == ["service", name, "pid", str(pid), "alive"] for line in lines)
    assert f"demo      kingston-2020-demo: finished: {demo_events:,} of {demo_events:,}" in (
        text.stdout
    )
    assert any(line.startswith("figures   ") for line in lines)


def test_the_banners_next_commands_work_as_typed_and_the_demo_says_it_ended(
    project: Project,
) -> None:
    printed = (project.logs / "up-1.log").read_text()
    steps = printed.split("Try next:\n")[1].split("Press Ctrl-C")[0].splitlines()
    commands = [step.split("#")[0].strip() for step in steps]
    incident = "kingston-2020-demo"
    assert commands == [
        f"tandem sitrep --incident {incident} --format md",
        f"http://127.0.0.1:{project.port}/",
        "tandem status",
    ]
    demo_events = len(build("kingston-2020").events)
    ended = f"Demo incident '{incident}' streamed: {demo_events:,} events in "
    wait_for(lambda: ended in (project.logs / "up-1.log").read_text(), 60, "the demo's end")

    sitrep = project.tandem(*commands[0].split()[1:])
    assert sitrep.returncode == 0, sitrep.stderr
    assert sitrep.stdout.startswith("# ") and incident in sitrep.stdout
    assert "the incident's latest event (no event in the last 24 hours)" in sitrep.stderr
    board = httpx.get(commands[1], timeout=10)
    assert board.status_code == 200 and f"data-incident='{incident}'" in board.text
    assert project.tandem(*commands[2].split()[1:]).returncode == 0

    listed = project.tandem("incidents")
    assert listed.returncode == 0 and listed.stdout.splitlines()[1].startswith(incident)


def test_the_embedded_postgresql_is_on_its_loopback_port_too(project: Project) -> None:
    assert project.recorded()["postgres_port"] == project.postgres_port
    printed = (project.logs / "up-1.log").read_text()
    assert f"and 127.0.0.1:{project.postgres_port} over TCP (password logins only)" in printed
    database_url = project.recorded()["database_url"]
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("CREATE ROLE tcp_check LOGIN PASSWORD 'checked'")
    tcp = f"postgresql://tcp_check:checked@127.0.0.1:{project.postgres_port}/postgres"
    with psycopg.connect(tcp) as conn:
        assert conn.execute("SELECT inet_server_addr()::text").fetchone() == ("127.0.0.1/32",)


def test_other_commands_find_the_stack_from_a_subfolder(project: Project) -> None:
    added = project.tandem("partner", "add", "subfolder-partner", "--name", "From a subfolder")
    assert added.returncode == 0, added.stderr
    again = project.tandem("partner", "add", "subfolder-partner", "--name", "From a subfolder")
    assert "already exists" in again.stderr  # the same database, found again


def test_a_killed_up_does_not_block_the_next(project: Project) -> None:
    assert project.process is not None
    killed = project.process
    children = psutil.Process(killed.pid).children()
    killed.send_signal(signal.SIGKILL)
    killed.wait(10)
    for child in children:
        child.kill()
    assert (project.data_dir / STACK_FILE).exists()  # left behind, and not to be trusted

    stale = project.tandem("status")
    assert stale.returncode == 1
    assert f"no stack runs from {project.data_dir} (the nearest .tandem/ from here)" in (
        stale.stderr
    )

    again = project.up("up-2.log")
    assert again.pid != killed.pid
    assert project.status()["stack"]["pid"] == again.pid


def test_down_from_another_process_stops_everything(project: Project) -> None:
    assert project.process is not None
    pids = every_pid(project.recorded())

    down = project.tandem("down")

    assert down.returncode == 0, down.stderr
    pid = project.process.pid
    assert down.stdout.splitlines() == [
        f"stopping the stack running from {project.data_dir} (tandem up pid {pid})…",
        "stopped: every process it started has ended",
    ]
    assert project.process.wait(10) == 0
    assert [pid for pid in pids if live(pid)] == []
    assert running_with(str(project.data_dir)) == []
    assert not (project.data_dir / STACK_FILE).exists()
    for args in (("down",), ("status",)):
        none = project.tandem(*args)
        assert none.returncode == 1
        assert f"no stack runs from {project.data_dir}" in none.stderr


def test_from_a_folder_with_no_stack_the_commands_say_how(tmp_path: Path) -> None:
    assert find_data_dir(tmp_path) == tmp_path / ".tandem"  # none above pytest's folder either
    expected = (
        f"no running stack found from {tmp_path} (looked for .tandem/ here and above;"
        " set TANDEM_DATA_DIR or start one with `tandem up`)"
    )
    for args in (("status",), ("down",), ("partner", "add", "p", "--name", "P")):
        answer = run_tandem(NOWHERE, *args, cwd=tmp_path)
        assert answer.returncode == 1, args
        assert expected in answer.stderr, args


def test_the_data_directory_is_the_variable_else_the_nearest_else_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    deeper = tmp_path / "a" / "b"
    deeper.mkdir(parents=True)
    monkeypatch.delenv("TANDEM_DATA_DIR", raising=False)
    monkeypatch.chdir(deeper)
    assert Settings().data_dir == deeper / ".tandem"
    (tmp_path / ".tandem").mkdir()
    assert Settings().data_dir == tmp_path / ".tandem"
    (tmp_path / "a" / ".tandem").mkdir()
    assert Settings().data_dir == tmp_path / "a" / ".tandem"
    monkeypatch.setenv("TANDEM_DATA_DIR", str(tmp_path / "elsewhere"))
    assert Settings().data_dir == tmp_path / "elsewhere"


HOLD = "import sys, time; from pathlib import Path; from infra.stack_lock import hold;" + (
    " hold(Path(sys.argv[1])); print('held', flush=True); time.sleep(60)"
)


def test_the_lock_is_held_for_life_and_dies_with_its_holder(tmp_path: Path) -> None:
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(tmp_path)], stdout=subprocess.PIPE)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == b"held\n"
        with pytest.raises(StackRunning) as refused:
            hold(tmp_path)
        assert refused.value.pid == holder.pid
    finally:
        holder.kill()
        holder.wait()
    os.close(hold(tmp_path))  # a SIGKILLed holder's lock is gone with it
