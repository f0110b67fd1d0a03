"""A drop folder for partners who can only save files: each new file is published, then moved
to `done/` or `failed/`, with `NAME.errors.txt` beside it saying what was wrong.

It polls rather than waits on file-system notifications: drop folders are often network shares,
where notifications do not arrive, and a file is only taken once it has stopped changing (the
same size and time at two looks in a row), so a file still being copied in is left alone. A
restart simply looks again: whatever is still in the folder is published again, and events
already accepted come back as duplicates, because a file always makes the same event ids.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from services.publishing.rows import SUFFIXES

log = logging.getLogger(__name__)

DONE = "done"
FAILED = "failed"
ERRORS_SUFFIX = ".errors.txt"


class Verdict(Enum):
    DONE = DONE
    FAILED = FAILED
    LATER = "later"
    """Not the file's fault (the gateway is unreachable): it stays, to be tried again."""


@dataclass(frozen=True)
class Handled:
    verdict: Verdict
    report: str = ""
    """What went wrong, one problem a line; written beside the file when not empty."""


Handler = Callable[[Path], Handled]


class DropFolder:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        for name in (DONE, FAILED):
            (folder / name).mkdir(parents=True, exist_ok=True)
        self._last_look: dict[Path, tuple[int, int]] = {}

    def settled(self) -> list[Path]:
        """Files that have not changed since the previous look, oldest first."""
        look = {}
        for path in self.folder.iterdir():
            if _is_publishable(path):
                stat = path.stat()
                look[path] = (stat.st_size, stat.st_mtime_ns)
        ready = [path for path, seen in look.items() if self._last_look.get(path) == seen]
        self._last_look = look
        return sorted(ready, key=lambda path: look[path][1])

    def file_away(self, path: Path, handled: Handled) -> Path:
        """Moves the file under done/ or failed/ (its report first, so a crash between the two
        leaves the file to be handled again, never a file without its report)."""
        target = _free_name(self.folder / handled.verdict.value / path.name)
        if handled.report:
            target.with_name(target.name + ERRORS_SUFFIX).write_text(handled.report)
        path.replace(target)
        self._last_look.pop(path, None)
        return target


def watch(folder: Path, handle: Handler, stop: threading.Event, interval: float = 2.0) -> None:
    """Publishes every file dropped into `folder` until `stop` is set."""
    drop = DropFolder(folder)
    log.info("watching a drop folder", extra={"folder": str(folder)})
    while not stop.is_set():
        for path in drop.settled():
            handled = handle(path)
            if handled.verdict is Verdict.LATER:
                log.warning("file left for later", extra={"file": path.name, "why": handled.report})
                continue
            moved = drop.file_away(path, handled)
            log.info("file handled", extra={"file": path.name, "moved_to": str(moved)})
            if stop.is_set():
                break
        stop.wait(interval)


def _is_publishable(path: Path) -> bool:
    # Dot-files and Office's "~$name.xlsx" lock files are other programs' business.
    hidden = path.name.startswith((".", "~$"))
    return path.is_file() and not hidden and path.suffix.lower() in SUFFIXES


def _free_name(path: Path) -> Path:
    """`path`, or `name.2.csv`, `name.3.csv` … when a file of that name was handled before."""
    candidate, n = path, 1
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.stem}.{n}{path.suffix}")
    return candidate
