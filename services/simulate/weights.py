"""Drawing from the tables of shares the scenario is written in."""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import TypeVar

K = TypeVar("K")


def pick(rng: random.Random, shares: Mapping[K, float]) -> K:
    return rng.choices(list(shares), weights=list(shares.values()))[0]
