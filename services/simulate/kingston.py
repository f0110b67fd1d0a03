"""The Kingston 2020 demo: six weeks of a borough's COVID-19 response, synthetic throughout.

Stages run in the order the facts depend on each other (requests are taken on, queued, served
from hubs by volunteers); each draws from its own random stream, so tuning one stage does not
reshuffle the others.
"""

from __future__ import annotations

import random

from services.simulate.borough import COUNCIL, PARTNERS
from services.simulate.capacity import capacity_updates
from services.simulate.casework import take_on
from services.simulate.clock import END, at
from services.simulate.demand import raise_requests
from services.simulate.deployments import deploy
from services.simulate.envelope import Occurrence, publish
from services.simulate.fulfilment import serve
from services.simulate.hubs import run_hubs
from services.simulate.scenario import Scenario
from services.simulate.volunteers import enrol

INCIDENT = "kingston-2020-demo"
NAME = "Kingston upon Thames COVID-19 response, spring 2020 (synthetic demo)"


def kingston_2020(seed: int) -> Scenario:
    def stream(stage: str) -> random.Random:
        return random.Random(f"{seed}/{stage}")

    declared = Occurrence(
        at(0, 7), COUNCIL.id, "incident.declared", INCIDENT, {"name": NAME, "level": 3}
    )
    occurrences = [declared]

    roster, registrations = enrol(stream("volunteers"))
    occurrences += registrations

    casework = stream("casework")
    accepted = []
    for request in raise_requests(stream("demand")):
        lifecycle, taken_on = take_on(casework, request)
        occurrences += lifecycle
        if taken_on is not None:
            accepted.append(taken_on)

    fulfilment = serve(stream("fulfilment"), accepted)
    hub_events, shifts = run_hubs(stream("hubs"), fulfilment.parcels)
    occurrences += fulfilment.events + hub_events
    occurrences += deploy(stream("deployments"), roster, fulfilment.deployments + shifts)
    occurrences += capacity_updates(stream("capacity"), fulfilment.loads)

    # The response went on after these six weeks: what is still open at the end stays open.
    events = publish((o for o in occurrences if o.time < END), INCIDENT)
    return Scenario(INCIDENT, NAME, PARTNERS, events)
