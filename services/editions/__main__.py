"""The editions service: `python -m services.editions`.

It wakes at the next scheduled slot, or every POLL seconds to find schedules added since, and
issues what is due. Two instances at once are harmless: an edition is issued under a lock per
incident and a slot once (services/figures/schedules.py), so a second replica is a standby.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from services.figures.schedules import issue_due, seconds_to_next
from services.runtime import start_service
from services.store.connections import connect

log = logging.getLogger("services.editions")

POLL = 30.0


def main() -> None:
    settings, stop = start_service("editions")
    with connect(settings) as conn:
        log.info("editions running")
        while not stop.is_set():
            now = datetime.now(UTC)
            for edition in issue_due(conn, now):
                log.info(
                    "edition issued",
                    extra={"incident": edition.incident, "edition": edition.number},
                )
            until = seconds_to_next(conn, now)
            stop.wait(POLL if until is None else min(POLL, max(until, 0.0)))


if __name__ == "__main__":
    main()
