"""One stack per data directory: `tandem up` holds an exclusive lock on `<data dir>/up.lock`
for its whole life, with its pid written in the file.

The lock is `flock`'s, which the kernel drops when the holder ends, however it ends (SIGKILL
too), so a killed `tandem up` never blocks the next one; a pid file alone could not tell a
stale pid from a reused one. Other commands probe the lock to know whether a stack runs.
"""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path

from services.settings import LOCK_FILE, held

# A command probing the lock holds it shared for an instant: a starting `tandem up` tries
# this long before it concludes that another one holds it.
TAKE_SECONDS = 1.0


class StackRunning(RuntimeError):
    """Another `tandem up` holds the data directory."""

    def __init__(self, data_dir: Path, pid: int | None) -> None:
        super().__init__(f"a stack already runs from {data_dir} (tandem up pid {pid})")
        self.data_dir = data_dir
        self.pid = pid


def hold(data_dir: Path) -> int:
    """Lock `data_dir` for as long as the returned descriptor stays open (until this process
    ends, unless closed), or raise `StackRunning`."""
    fd = os.open(data_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    deadline = time.monotonic() + TAKE_SECONDS
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() > deadline:
                os.close(fd)
                raise StackRunning(data_dir, holder(data_dir)) from None
            time.sleep(0.05)
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())
    return fd


def holder(data_dir: Path) -> int | None:
    """The pid of the `tandem up` holding `data_dir`, or None when none does."""
    if not held(data_dir):
        return None
    try:
        return int((data_dir / LOCK_FILE).read_text().strip())
    except (OSError, ValueError):
        return None  # taken an instant ago: its pid is not written yet
