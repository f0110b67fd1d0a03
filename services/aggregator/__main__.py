"""The aggregator service: `python -m services.aggregator` (run several to share the work)."""

from services.aggregator.app import count_live
from services.stream_batches import run_worker

if __name__ == "__main__":
    run_worker("aggregator", count_live)
