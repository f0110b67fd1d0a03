"""Structured logs: one JSON object a line, with whatever context a call passes in `extra`."""

from __future__ import annotations

import logging
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import orjson

_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}
MASK = "***"
_secrets: set[str] = set()


def keep_secret(value: str) -> str:
    """`value`, which from now on shows as `***` in any log line: a client library may log its
    whole configuration (kafka-python's admin does, at DEBUG), password and all."""
    if value:
        _secrets.add(value)
    return value


def _masked(line: str) -> str:
    for secret in _secrets:
        # As written raw, as repr() writes it inside a logged dict, each as JSON escapes it.
        for form in {secret, repr(secret)[1:-1]}:
            line = line.replace(orjson.dumps(form).decode()[1:-1], MASK)
    return line


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "service": self.service,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD:
                entry.setdefault(key, value)
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return _masked(orjson.dumps(entry, default=str).decode())


def configure(service: str, level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("kafka", "aiokafka", "faust", "mode", "uvicorn.access", "httpx"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))


def open_private(path: Path) -> IO[bytes]:
    """A log file to append to that only its owner may read (`0600`, in a `0700` folder): logs
    name partners, what they sent that was refused, and where everything listens."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.parent.chmod(0o700)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    os.fchmod(fd, 0o600)  # made before this, by an older version or another umask
    return os.fdopen(fd, "ab")


def replace_private(path: Path, data: bytes) -> None:
    """Write `path` whole at once (a reader sees the old or the new, never half), readable
    only by its owner."""
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as file:
        file.write(data)
    os.replace(partial, path)
