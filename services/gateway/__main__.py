"""The gateway service: `python -m services.gateway [--port N]`."""

from __future__ import annotations

import argparse
import sys

from services.gateway.http_server import gateway_server
from services.runtime import start_service


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m services.gateway")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    args = parser.parse_args()
    settings, _ = start_service("gateway")
    server = gateway_server(settings, args.host, args.port)
    server.run()
    if not server.started:
        sys.exit(3)  # as uvicorn.run: the app did not start (e.g. no database), so not a clean stop


if __name__ == "__main__":
    main()
