"""Synthetic demo incidents: the events partners would have published, for demos and tests.

from services.simulate import build
scenario = build("kingston-2020", seed=2020)
"""

from services.simulate.catalogue import SCENARIOS, UnknownScenarioError, build
from services.simulate.scenario import DemoPartner, Scenario

__all__ = ["SCENARIOS", "DemoPartner", "Scenario", "UnknownScenarioError", "build"]
