"""Anchors for the aggregator: what faust itself does on this machine.

`table`: the naive agent the aggregator issue names, updating a table once per event.
`take`: an agent taking batches (`take_events`) and doing nothing with them, faust's own
ceiling for any agent that sees every event.

Run as a process (faust's worker owns its event loop and signals):
`python -m tests.bench.naive_faust table|take BOOTSTRAP TOPIC PARTITIONS COUNT DATADIR`;
prints events/s.
"""

from __future__ import annotations

import os
import sys
import time

import faust
import orjson


def main(
    mode: str, bootstrap: str, topic_name: str, partitions: int, count: int, datadir: str
) -> None:
    app = faust.App(
        f"{topic_name}-{mode}",
        broker=f"kafka://{bootstrap}",
        store="memory://",
        datadir=datadir,
        consumer_auto_offset_reset="earliest",
        broker_session_timeout=6,
        broker_heartbeat_interval=1,
        web_enabled=False,
        topic_partitions=partitions,
    )
    topic = app.topic(topic_name, value_serializer="raw", key_serializer="raw")
    by_type = app.Table("by_type", default=int)
    timing: dict[str, float] = {}

    def seen(n: int) -> None:
        timing.setdefault("first", time.perf_counter())
        if n >= count:
            print(f"{count / (time.perf_counter() - timing['first']):.0f}", flush=True)
            # faust's supervisor restarts an agent that raises SystemExit; leave outright.
            os._exit(0)

    @app.agent(topic)
    async def count_types(stream: faust.StreamT[bytes]) -> None:
        n = 0
        if mode == "take":
            assert isinstance(stream, faust.Stream)
            async for events in stream.take_events(5000, within=0.2):
                n += len(events)
                seen(n)
        async for value in stream:
            by_type[orjson.loads(value)["type"]] += 1
            n += 1
            seen(n)

    faust.Worker(app, loglevel="WARNING", redirect_stdouts=False).execute_from_commandline()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), sys.argv[6])
