"""The aggregator service: `python -m services.aggregator` (run several to share the work).

With TANDEM_EXERCISE_RUN set, it counts that exercise run's topic instead of the live one.
"""

from services.aggregator.app import count_live, count_run
from services.runtime import start_service
from services.settings import Settings
from services.streaming.faust_transport import serve
from services.streaming.topics import ACCEPTED, exercise_topic

if __name__ == "__main__":
    run = Settings().exercise_run
    name = "aggregator" if run is None else f"aggregator-{run}"
    settings, _ = start_service(name)
    if run is None:
        serve(settings, name, ACCEPTED, count_live)
    else:
        serve(settings, name, exercise_topic(run), count_run(run))
