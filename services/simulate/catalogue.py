"""The demo scenarios by name."""

from __future__ import annotations

from collections.abc import Callable

from services.simulate.kingston import kingston_2020
from services.simulate.scenario import Scenario

SCENARIOS: dict[str, Callable[[int], Scenario]] = {"kingston-2020": kingston_2020}


class UnknownScenarioError(KeyError):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name

    def __str__(self) -> str:
        # KeyError would print only the quoted name; say what would have worked.
        return f"unknown scenario {self.name!r}; known scenarios: {', '.join(sorted(SCENARIOS))}"


def build(name: str, seed: int = 2020) -> Scenario:
    try:
        scenario = SCENARIOS[name]
    except KeyError:
        raise UnknownScenarioError(name) from None
    return scenario(seed)
