"""The aggregator service: `python -m services.aggregator` (run several to share the work)."""

from __future__ import annotations

import mode.loop

mode.loop.use("uvloop")  # faust's per-event cost is mostly event-loop work; uvloop trims it

import faust  # noqa: E402

from services.aggregator.app import make_app  # noqa: E402
from services.runtime import start_service  # noqa: E402


def main() -> None:
    settings, _ = start_service("aggregator")
    worker = faust.Worker(make_app(settings), loglevel=settings.log_level, redirect_stdouts=False)
    worker.execute_from_commandline()


if __name__ == "__main__":
    main()
