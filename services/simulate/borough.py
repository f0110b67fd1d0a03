"""Kingston upon Thames as the demo sees it: wards, partners, food hubs and who does what.

The organisations and wards are real (the 2002-2022 ward map); every figure is invented, shaped
on public accounts of Kingston Stronger Together in spring 2020.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.simulate.scenario import DemoPartner

COUNCIL = DemoPartner("rbk-council", "Royal Borough of Kingston upon Thames", "council")
VOLUNTEERING = DemoPartner("volunteering-kingston", "Volunteering Kingston", "volunteer_centre")
FOODBANK = DemoPartner("kingston-foodbank", "Kingston Foodbank", "foodbank")
SURBITON = DemoPartner("surbiton-mutual-aid", "Surbiton and Tolworth Mutual Aid", "mutual_aid")
MALDEN = DemoPartner("new-malden-mutual-aid", "New Malden Mutual Aid", "mutual_aid")
AGE_UK = DemoPartner("age-uk-kingston", "Age UK Kingston upon Thames", "charity")
PARTNERS = (COUNCIL, VOLUNTEERING, FOODBANK, SURBITON, MALDEN, AGE_UK)

# Relative demand per ward: more where there is more deprivation or an older population.
WARD_DEMAND = {
    "alexandra": 0.8,
    "berrylands": 0.8,
    "beverley": 1.0,
    "canbury": 0.9,
    "chessington-north-and-hook": 1.2,
    "chessington-south": 1.5,
    "coombe-hill": 0.6,
    "coombe-vale": 0.9,
    "grove": 1.0,
    "norbiton": 1.6,
    "old-malden": 0.9,
    "st-james": 1.1,
    "st-marks": 0.9,
    "surbiton-hill": 0.9,
    "tolworth-and-hook-rise": 1.3,
    "tudor": 0.7,
}
WARDS = tuple(WARD_DEMAND)

# Mutual aid groups grew street by street; each covers only its own patch of wards.
PATCHES = {
    SURBITON.id: ("alexandra", "berrylands", "st-marks", "surbiton-hill", "tolworth-and-hook-rise"),
    MALDEN.id: ("beverley", "coombe-vale", "old-malden", "st-james"),
}


@dataclass(frozen=True)
class Hub:
    id: str
    name: str
    area: str
    operator: str
    serves: tuple[str, ...]  # wards it delivers to; the most local open hub takes a request
    timeline: tuple[tuple[int, str, int], ...]  # (day, status, parcels_per_day) from that day
    # Where it is (WGS84), approximate: inside its area on the demo's illustrative map.
    latitude: float
    longitude: float

    def parcels_on(self, day: int) -> int:
        """Parcels it can hand out on `day`: none before it opens or while it is closed."""
        return next((parcels for since, _, parcels in reversed(self.timeline) if since <= day), 0)


HUBS = (
    Hub(
        "foodbank-central",
        "Kingston Foodbank central warehouse",
        "grove",
        FOODBANK.id,
        WARDS,
        ((0, "open", 24), (14, "open", 32)),
        latitude=51.4060,
        longitude=-0.3040,
    ),
    # A small hub that loses its volunteers and closes for a few days: the foodbank's stress.
    Hub(
        "tolworth-hub",
        "Tolworth community food hub",
        "tolworth-and-hook-rise",
        FOODBANK.id,
        ("chessington-north-and-hook", "chessington-south", "tolworth-and-hook-rise"),
        ((4, "open", 12), (18, "limited", 6), (20, "closed", 0), (25, "open", 12)),
        latitude=51.3770,
        longitude=-0.2830,
    ),
    # The council's emergency parcels for shielding residents, grown as the shielding list came in.
    Hub(
        "cambridge-road-hub",
        "Cambridge Road community hub",
        "norbiton",
        COUNCIL.id,
        WARDS,
        ((2, "open", 24), (14, "open", 30)),
        latitude=51.4080,
        longitude=-0.2880,
    ),
    Hub(
        "new-malden-pantry",
        "New Malden community pantry",
        "beverley",
        MALDEN.id,
        PATCHES[MALDEN.id],
        ((7, "open", 12),),
        latitude=51.4000,
        longitude=-0.2480,
    ),
)


def open_hubs(operator: str, day: int) -> list[Hub]:
    """The operator's hubs handing out food on `day`."""
    return [hub for hub in HUBS if hub.operator == operator and hub.parcels_on(day) > 0]


def hub_for(operator: str, area: str, day: int) -> Hub:
    """The most local of the operator's hubs open on `day` that delivers to `area`."""
    serving = [hub for hub in open_hubs(operator, day) if area in hub.serves]
    return min(serving, key=lambda hub: len(hub.serves))


def patch_of(area: str) -> str | None:
    return next((group for group, wards in PATCHES.items() if area in wards), None)


def handler(raiser: str, need: str, area: str, shielding: bool, day: int) -> str:
    """Who takes a request on, by the Kingston Stronger Together division of work."""
    if need == "food":
        if shielding:
            return COUNCIL.id
        if raiser != FOODBANK.id and patch_of(area) == MALDEN.id and open_hubs(MALDEN.id, day):
            return MALDEN.id
        return FOODBANK.id
    if need == "befriending":
        return AGE_UK.id
    if need == "welfare_check":
        return AGE_UK.id if shielding or raiser == AGE_UK.id else COUNCIL.id
    if need in ("shopping", "prescription"):
        return patch_of(area) or VOLUNTEERING.id
    if need == "transport":
        return VOLUNTEERING.id
    return COUNCIL.id


# Where a request goes when the partner it was referred to declines it; needs missing here
# have nobody else to turn to, so a declined request stays open.
FALLBACK = {
    "food": COUNCIL.id,
    "shopping": VOLUNTEERING.id,
    "prescription": VOLUNTEERING.id,
    "befriending": VOLUNTEERING.id,
    "welfare_check": COUNCIL.id,
}

REFERRAL_REASONS = {
    "food": "emergency food parcel",
    "shopping": "shopping run by volunteers covering this ward",
    "prescription": "prescription collection by a DBS-checked volunteer",
    "befriending": "regular befriending calls",
    "welfare_check": "welfare call for a shielding resident",
    "transport": "volunteer driver needed",
    "financial": "hardship fund and benefits advice",
    "other": "needs a council caseworker",
}

# Requests a partner can close per day once fully staffed; food is set by its hubs instead.
STAFFED_CAPACITY = {
    (VOLUNTEERING.id, "shopping"): 8,
    (VOLUNTEERING.id, "prescription"): 8,
    (VOLUNTEERING.id, "transport"): 4,
    (VOLUNTEERING.id, "befriending"): 3,
    (SURBITON.id, "shopping"): 10,
    (SURBITON.id, "prescription"): 8,
    (MALDEN.id, "shopping"): 10,
    (MALDEN.id, "prescription"): 7,
    (AGE_UK.id, "befriending"): 11,
    (AGE_UK.id, "welfare_check"): 6,
    (COUNCIL.id, "welfare_check"): 8,
    (COUNCIL.id, "financial"): 7,
    (COUNCIL.id, "other"): 6,
}
# Volunteers took a fortnight to be vetted and matched, so capacity grows in steps.
ONBOARDING = ((0, 0.6), (7, 0.85), (14, 1.0))
PARCELS_PER_REQUEST = 1.5


def capacity(partner: str, need: str, day: int) -> int:
    if need == "food":
        parcels = sum(hub.parcels_on(day) for hub in open_hubs(partner, day))
        return int(parcels / PARCELS_PER_REQUEST)
    staffed = next(share for since, share in reversed(ONBOARDING) if since <= day)
    return round(STAFFED_CAPACITY[partner, need] * staffed)


def volunteer_org(handler_id: str) -> str:
    """Mutual aid groups send their own members; everyone else draws on Volunteering Kingston."""
    return handler_id if handler_id in PATCHES else VOLUNTEERING.id
