"""The faults, each done to a running `tandem up` as it would happen: a process killed."""

from __future__ import annotations

import signal
from collections.abc import Callable
from dataclasses import dataclass

from tests.support.stack_process import StackProcess


@dataclass(frozen=True)
class Fault:
    name: str
    what: str
    inject: Callable[[StackProcess], None]


def kill_service(name: str) -> Callable[[StackProcess], None]:
    """SIGKILL a service: its supervisor starts it again."""

    def inject(stack: StackProcess) -> None:
        stack.services()[name].send_signal(signal.SIGKILL)

    return inject


def kill_broker(stack: StackProcess) -> None:
    """SIGKILL the memory-only broker: the stack starts it again on the same port, empty."""
    stack.broker().send_signal(signal.SIGKILL)


def kill_postgres(stack: StackProcess) -> None:
    """SIGKILL the postmaster: the stack starts PostgreSQL again, which recovers from its WAL."""
    postmaster = stack.postmaster()
    assert postmaster is not None, "PostgreSQL is not running"
    postmaster.send_signal(signal.SIGKILL)


FAULTS = (
    Fault("gateway", "SIGKILL the gateway", kill_service("gateway")),
    Fault("relay", "SIGKILL the relay", kill_service("relay")),
    Fault("aggregator", "SIGKILL the aggregator", kill_service("aggregator")),
    Fault("router", "SIGKILL the router", kill_service("router")),
    Fault("archiver", "SIGKILL the archiver", kill_service("archiver")),
    Fault("inbound", "SIGKILL the inbound service", kill_service("inbound")),
    Fault("broker", "restart the broker (SIGKILL; all topics lost)", kill_broker),
    Fault("postgres", "restart PostgreSQL (SIGKILL the postmaster)", kill_postgres),
)
