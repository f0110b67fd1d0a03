"""The router service: `python -m services.router` (run several to share the work)."""

from services.router.app import share
from services.runtime import start_service
from services.streaming.faust_transport import serve
from services.streaming.topics import ACCEPTED

if __name__ == "__main__":
    settings, _ = start_service("router")
    serve(settings, "router", ACCEPTED, share)
