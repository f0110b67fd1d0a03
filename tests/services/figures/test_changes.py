"""Changes between two sitreps, figure by figure, on hand-made reports: a breakdown's missing key
is a zero, a missing line has no figures, a text figure has no numeric change, floats do not
show their binary noise, and the figures that changed most are the headline's first, each by
its change against what it was."""

from __future__ import annotations

import copy
from typing import Any

from services.figures.changes import Change, changes, label, largest, sentence
from services.figures.sitrep import Sitrep
from tests.support.sitrep_events import SCENARIO_SITREP


def report(edit: Any = None) -> Sitrep:
    data = copy.deepcopy(SCENARIO_SITREP)
    if edit:
        edit(data)
    return Sitrep.model_validate(data)


def later(data: dict[str, Any]) -> None:
    requests = data["requests"]
    requests.update(open=41, raised_total=3003, median_hours_to_fulfil=5.85)
    requests["open_by_need"] = {"food": 40, "shopping": 1}
    data["volunteers"]["minutes_window"] = 2240
    data["hubs"][0]["status"] = "closed"
    data["hubs"].append({"hub_id": "hub-b", "status": "open", "parcels_per_day": 40})
    data["stock"] = []


def test_each_figure_that_changed_and_no_other() -> None:
    found = {path: c.model_dump() for path, c in changes(report(later), report()).items()}
    assert found == {
        "requests.raised_total": {"now": 3003, "then": 3, "change": 3000},
        "requests.open": {"now": 41, "then": 1, "change": 40},
        "requests.open_by_need[food]": {"now": 40, "then": 0, "change": 40},
        "requests.median_hours_to_fulfil": {"now": 5.85, "then": 5.75, "change": 0.1},
        "volunteers.minutes_window": {"now": 2240, "then": 240, "change": 2000},
        "hubs[hub-a].status": {"now": "closed", "then": "open", "change": None},
        "hubs[hub-b].status": {"now": "open", "then": None, "change": None},
        "hubs[hub-b].parcels_per_day": {"now": 40, "then": None, "change": None},
        "stock[hub-a/food_parcel].level": {"now": None, "then": 55, "change": None},
        "stock[hub-a/food_parcel].distributed_7d": {"now": None, "then": 21, "change": None},
        "stock[hub-a/food_parcel].days_of_cover": {"now": None, "then": 18.3, "change": None},
    }
    assert changes(report(), report()) == {}


def test_what_changed_most_is_the_headline_first_by_its_change_against_what_it_was() -> None:
    found = changes(report(later), report())
    # Raised 3 → 3003 (×1000), open 1 → 41 (×40), minutes 240 → 2240 (×8.3), the median
    # 5.75 → 5.85 (×0.02); then the breakdowns and lines, the text change after the numbers.
    assert largest(found, 4) == [
        "requests.raised_total",
        "requests.open",
        "volunteers.minutes_window",
        "requests.median_hours_to_fulfil",
    ]
    assert largest(found, 100)[4:6] == ["requests.open_by_need[food]", "hubs[hub-a].status"]


def test_figures_in_words() -> None:
    assert label("requests.open") == "Open requests"
    assert label("requests.open_by_need[food]") == "Open requests by need: food"
    assert label("areas[riverside].unmet_urgent_over_4h") == (
        "Area riverside: urgent requests unmet over 4 hours"
    )
    assert label("stock[hub-a/food_parcel].distributed_7d") == (
        "Stock hub-a/food_parcel: distributed in the last 7 days"
    )
    since = "edition 6, 10 March 2024 09:00 UTC"
    assert sentence("requests.open", Change(now=160, then=142, change=18), since) == (
        "Open requests 160 (+18 since edition 6, 10 March 2024 09:00 UTC)"
    )
    assert sentence("hubs[hub-a].status", Change(now="closed", then="open", change=None)) == (
        "Hub hub-a: status closed (was open)"
    )
    assert sentence("hubs[hub-b].parcels_per_day", Change(now=40, then=None, change=None)) == (
        "Hub hub-b: parcels per day 40 (new)"
    )
