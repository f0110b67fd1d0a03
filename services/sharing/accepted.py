"""An event as the event store accepted it: the sharing rules judge events by this, never by
when the router happens to process them, so reading a topic again changes nothing."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Accepted:
    """`event`, accepted at `at` (the store's clock: its `received_at`); `order` is its place
    in the store's commit order, (transaction id, seq), the order the relay publishes in: the
    events before it in that order are all published before it, so a consumer that has an
    event has had everything that precedes it in its partition."""

    event: Mapping[str, Any]
    at: datetime
    order: tuple[int, int]
