"""The aggregator service: `python -m services.aggregator` (run several to share the work).

With TANDEM_EXERCISE_RUN set, it counts that exercise run's topic instead of the live one.
"""

from infra.topics import exercise_topic
from services.aggregator.app import count_live
from services.aggregator.exercise import counter_for
from services.settings import Settings
from services.stream_batches import run_worker

if __name__ == "__main__":
    run = Settings().exercise_run
    if run is None:
        run_worker("aggregator", count_live)
    else:
        run_worker(f"aggregator-{run}", counter_for(run), exercise_topic(run))
