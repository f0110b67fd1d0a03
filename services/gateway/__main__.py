"""The gateway service: `python -m services.gateway [--port N]`."""

from __future__ import annotations

import argparse

import uvicorn

from services.gateway.app import create_app
from services.runtime import start_service


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m services.gateway")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    args = parser.parse_args()
    settings, _ = start_service("gateway")
    uvicorn.run(
        create_app(settings),
        host=args.host,
        port=args.port,
        loop="uvloop",
        http="httptools",
        access_log=False,
        log_config=None,
        timeout_graceful_shutdown=5,
    )


if __name__ == "__main__":
    main()
