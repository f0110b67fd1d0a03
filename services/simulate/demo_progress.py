"""How far the demo stream has gone, in `<data dir>/demo.json`, for `tandem status` to read:
events sent of the total, and whether it finished. Written about once a second, and at the end.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from services.logs import replace_private

log = logging.getLogger(__name__)

DEMO_FILE = "demo.json"
EVERY_SECONDS = 1.0


@dataclass
class DemoProgress:
    path: Path
    incident: str
    total: int
    _written: float = field(default=float("-inf"))

    def sent(self, count: int) -> None:
        """`count` events sent so far: written at most every `EVERY_SECONDS`, and at the end."""
        now = time.monotonic()
        if count < self.total and now - self._written < EVERY_SECONDS:
            return
        progress = {
            "incident": self.incident,
            "sent": count,
            "total": self.total,
            "finished": count == self.total,
            "updated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        self._written = now
        try:
            replace_private(self.path, json.dumps(progress).encode())
        except OSError as exc:  # only `tandem status` misses it: the demo goes on
            log.warning("could not record the demo's progress", extra={"reason": str(exc)})


def read_progress(data_dir: Path) -> dict[str, Any] | None:
    """The demo's progress, or None when no demo streams from `data_dir`."""
    try:
        progress: dict[str, Any] = json.loads((data_dir / DEMO_FILE).read_text())
    except FileNotFoundError:
        return None
    return progress
