"""Helpers for tests that run real servers: URLs, a gateway on a free port, waiting."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit, urlunsplit

import httpx
import psycopg
from psycopg import sql

from infra.broker import free_port
from services.gateway.http_server import gateway_server
from services.settings import Settings

T = TypeVar("T")


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def wait_for(
    check: Callable[[], T | None], timeout: float = 20.0, what: str = "", every: float = 0.05
) -> T:
    """Poll `check` (every `every` seconds) until it returns a truthy value; fail the test
    after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what or check}")
        time.sleep(every)


@contextmanager
def databases(server_url: str, template_db: str) -> Iterator[Callable[[], str]]:
    """Makes migrated, empty databases on demand; drops them on leaving."""
    made: list[str] = []

    def make() -> str:
        name = f"tandem_test_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                    sql.Identifier(name), sql.Identifier(template_db)
                )
            )
        made.append(name)
        return with_database(server_url, name)

    try:
        yield make
    finally:
        with psycopg.connect(server_url, autocommit=True) as conn:
            for name in made:
                conn.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
                )


@contextmanager
def running_gateway(settings: Settings) -> Iterator[str]:
    """The real gateway app served over real HTTP on loopback, in a thread."""
    port = free_port()
    server = gateway_server(settings, "127.0.0.1", port)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for(lambda: server.started, what="gateway start")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@contextmanager
def service_process(
    module: str, settings: Settings, log: Path, *args: str
) -> Iterator[subprocess.Popen[bytes]]:
    """A service module run as its own process, as `tandem up` runs it."""
    env = {**os.environ, **settings.child_env()}
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", module, *args], env=env, stdout=out, stderr=subprocess.STDOUT
        )
        try:
            yield process
        finally:
            if process.poll() is None:
                process.terminate()
                process.wait(10)


@contextmanager
def gateway_process(settings: Settings, log: Path) -> Iterator[str]:
    """The gateway as its own process, as `tandem up` runs it; yields its URL once it answers."""
    port = free_port()
    with service_process("services.gateway", settings, log, "--port", str(port)):
        url = f"http://127.0.0.1:{port}"

        def ready() -> bool:
            try:
                return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
            except httpx.TransportError:
                return False

        wait_for(ready, 60, "the gateway")
        yield url


TANDEM = str(Path(sys.executable).with_name("tandem"))


def run_tandem(
    env: dict[str, str], *args: str, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """The `tandem` command as a user runs it (in `cwd`), with `env` over this process's
    environment (a value of "" removes the variable)."""
    merged = {**os.environ, **env}
    for name in [name for name, value in env.items() if value == ""]:
        merged.pop(name, None)
    return subprocess.run(
        [TANDEM, *args], capture_output=True, text=True, env=merged, timeout=60, cwd=cwd
    )


def tandem(database_url: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`tandem` on `database_url`, its data directory `tmp_path`."""
    return run_tandem({"DATABASE_URL": database_url, "TANDEM_DATA_DIR": str(tmp_path)}, *args)
