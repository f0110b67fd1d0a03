"""`tandem publish` with the gateway down: the reason within 5 s (a second or so of it is Python
starting), and how to start it; with `--retry-for`, it waits for a gateway that starts late."""

from __future__ import annotations

import subprocess
import threading
import time
from pathlib import Path

import orjson
import psycopg

from infra.broker import free_port
from services.gateway.http_server import gateway_server
from services.settings import Settings
from services.store.partners import Partner, add_partner
from tests.support.servers import TANDEM, run_tandem, wait_for
from tests.support.sitrep_events import raised


def one_event(tmp_path: Path) -> Path:
    file = tmp_path / "one.ndjson"
    file.write_bytes(orjson.dumps(raised("r-1", "2020-04-01T09:00:00Z")) + b"\n")
    return file


def test_a_gateway_that_is_not_running_is_said_within_5_seconds(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    env = {"TANDEM_GATEWAY_URL": url, "TANDEM_TOKEN": "tdm_x_y", "TANDEM_DATA_DIR": str(tmp_path)}
    started = time.monotonic()
    failed = run_tandem(env, "publish", str(one_event(tmp_path)))
    assert time.monotonic() - started < 5
    assert failed.returncode == 1 and failed.stdout == ""
    assert failed.stderr.startswith(f"tandem: the gateway at {url} is not running (")
    assert "start the stack with `tandem up`" in failed.stderr
    assert "--retry-for SECONDS" in failed.stderr
    assert failed.stderr.count("\n") == 1

    started = time.monotonic()
    waited = run_tandem(env, "publish", str(one_event(tmp_path)), "--retry-for", "3")
    assert 3 <= time.monotonic() - started < 3 + 5
    assert waited.returncode == 1 and ", still after 3 s: start the stack" in waited.stderr


def test_retry_for_waits_for_a_gateway_that_starts_late(database_url: str, tmp_path: Path) -> None:
    with psycopg.connect(database_url) as conn:
        token = add_partner(conn, Partner("council", "The Council"))
    port = free_port()
    env = {
        "TANDEM_GATEWAY_URL": f"http://127.0.0.1:{port}",
        "TANDEM_TOKEN": token,
        "TANDEM_DATA_DIR": str(tmp_path),
        "DATABASE_URL": database_url,
    }
    command = [TANDEM, "publish", str(one_event(tmp_path)), "--retry-for", "60"]
    with subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as publishing:
        time.sleep(2)  # it is trying, and finding nobody
        assert publishing.poll() is None
        settings = Settings(TANDEM_DATA_DIR=tmp_path / "data", DATABASE_URL=database_url)
        server = gateway_server(settings, "127.0.0.1", port)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        try:
            out, err = publishing.communicate(timeout=60)
        finally:
            wait_for(lambda: server.started, what="gateway start")
            server.should_exit = True
            thread.join(10)
    assert publishing.returncode == 0, err
    assert out == "one.ndjson: 1 events from 1 rows: 1 accepted, 0 duplicates\n"
    with psycopg.connect(database_url) as conn:
        (stored,) = conn.execute("SELECT count(*) FROM events").fetchone() or (0,)
    assert stored == 1
