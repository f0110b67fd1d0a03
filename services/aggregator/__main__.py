"""The aggregator service: `python -m services.aggregator` (run several to share the work).

With TANDEM_EXERCISE_RUN set, it counts that exercise run's topic instead of the live one.
"""

from services.aggregator.app import count_live
from services.exercises.run_figures import counter_for
from services.settings import Settings
from services.streaming.faust_batches import run_worker
from services.streaming.topics import exercise_topic

if __name__ == "__main__":
    run = Settings().exercise_run
    if run is None:
        run_worker("aggregator", count_live)
    else:
        run_worker(f"aggregator-{run}", counter_for(run), exercise_topic(run))
