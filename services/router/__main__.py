"""The router service: `python -m services.router` (run several to share the work)."""

from services.router.app import share
from services.streaming.faust_batches import run_worker

if __name__ == "__main__":
    run_worker("router", share)
