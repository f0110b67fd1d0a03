"""`tandem up` as a user runs it: everything ready, an event in through curl's path, a clean
stop with no process left, and a second start that keeps the data."""

from __future__ import annotations

import json
import stat
import subprocess
from pathlib import Path

import httpx
import psutil
import psycopg

from infra.broker import free_port
from tests.support.events_store import sample_event
from tests.support.servers import run_tandem, wait_for
from tests.support.stack_process import running_with, short_data_dir, start, stop, wait_ready


def tandem(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_tandem({"TANDEM_DATA_DIR": str(data_dir), "DATABASE_URL": ""}, *args)


def test_up_publish_stop_and_up_again(tmp_path: Path) -> None:
    with short_data_dir(keep_logs_in=tmp_path) as data_dir:
        up_publish_stop_and_up_again(data_dir, tmp_path)


def up_publish_stop_and_up_again(data_dir: Path, tmp_path: Path) -> None:
    port = free_port()
    process = start(data_dir, port, tmp_path / "up-1.log")
    try:
        wait_ready(tmp_path / "up-1.log")
        stack = json.loads((data_dir / "stack.json").read_text())
        pids = list(stack["services"].values())
        assert set(stack["services"]) >= {"gateway", "relay", "archiver"}
        assert_private(data_dir)

        added = tandem(data_dir, "partner", "add", "kingston-foodbank", "--name", "Foodbank")
        assert added.returncode == 0, added.stderr
        token = added.stdout.strip().splitlines()[-1]
        response = httpx.post(
            f"http://127.0.0.1:{port}/v1/events",
            json=sample_event(1),
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 202, response.text

        def archived() -> int:
            with psycopg.connect(stack["database_url"]) as conn:
                row = conn.execute("SELECT count(*) FROM archive").fetchone()
                return int(row[0]) if row else 0

        wait_for(archived, what="the event in the archive")
    finally:
        took = stop(process)
    assert took < 10
    children = [p for p in pids if psutil.pid_exists(p)]
    assert children == []
    assert running_with(str(data_dir)) == []
    assert not (data_dir / "stack.json").exists()

    process = start(data_dir, port, tmp_path / "up-2.log")
    try:
        wait_ready(tmp_path / "up-2.log")
        again = tandem(data_dir, "partner", "add", "kingston-foodbank", "--name", "Foodbank")
        assert again.returncode == 1
        assert "already exists" in again.stderr  # the data survived the restart
    finally:
        stop(process)


def assert_private(data_dir: Path) -> None:
    """Only the data directory's owner may enter it, or read a log."""
    logs = sorted((data_dir / "logs").iterdir())
    assert {log.name for log in logs} >= {"gateway.log", "broker.log", "inbound.log"}
    modes = {path.name: stat.S_IMODE(path.stat().st_mode) for path in logs}
    assert modes == dict.fromkeys(modes, 0o600)
    for folder in (data_dir, data_dir / "logs", data_dir / "pg"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
