"""The sitrep as a one-page Markdown report for a resilience team's meeting or briefing note.

The same report always renders to the same text: every table has a fixed order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from schemas.thresholds import (
    AGEING,
    LOW_COVER_DAYS,
    STOCK_WINDOW,
    URGENT_WAIT,
    WINDOW,
    in_days,
    in_hours,
)
from services.figures.areas import AreaLine, counts_something
from services.figures.changes import Change, sentences
from services.figures.sitrep import Sitrep, rfc3339_utc

STOCK_DAYS = in_days(STOCK_WINDOW)
PRIORITY_ORDER = ("urgent", "high", "routine")
NOTHING = "_None._"


@dataclass(frozen=True)
class Changed:
    """What a report shows changed, and since when: an edition, or another T."""

    since: str | None
    """`edition 6, 10 March 2024 09:00 UTC`, or a T; None for a first edition, which has no
    changes to show."""
    changes: Mapping[str, Change]
    edition: str | None = None
    """`Edition 7, issued … by …`, for an edition."""
    notes: Sequence[str] = field(default_factory=tuple)
    """Said under the changes: what late events did to the edition before."""


def render_markdown(s: Sitrep, changed: Changed | None = None) -> str:
    """The sitrep as Markdown: what changed (when asked), then headline numbers, then one short
    section per figure."""
    since = None if changed is None else changed.since
    sections = [
        [f"# SitRep: {s.incident}", "", f"As at {rfc3339_utc(s.at)}." + edition_line(changed)],
        *([] if changed is None or since is None else [what_changed(since, changed)]),
        headline(s),
        open_requests(s),
        declines_and_referrals(s),
        volunteers(s),
        stock(s),
        hubs(s),
        areas(s),
        partners(s),
    ]
    return "\n\n".join("\n".join(lines) for lines in sections) + "\n"


def edition_line(changed: Changed | None) -> str:
    return f" {changed.edition}." if changed is not None and changed.edition else ""


def what_changed(since: str, changed: Changed) -> list[str]:
    listed = [f"- {line}" for line in sentences(changed.changes, since)]
    return [
        f"## What changed since {since}",
        "",
        *(listed or ["_Nothing changed._"]),
        *(line for note in changed.notes for line in ("", note)),
    ]


def headline(s: Sitrep) -> list[str]:
    r, v = s.requests, s.volunteers
    low = low_cover(s)
    return [
        "## Headline",
        "",
        *table(
            ("Figure", "Now"),
            [
                ("Requests open", number(r.open)),
                (f"… open over {in_hours(AGEING)} hours", number(r.open_over_72h)),
                ("Requests raised in total", number(r.raised_total)),
                (
                    f"Requests fulfilled in the last {in_hours(WINDOW)} hours",
                    number(r.fulfilled_window),
                ),
                ("Median time to fulfil", hours(r.median_hours_to_fulfil)),
                ("Volunteers registered", number(v.registered)),
                ("Volunteers deployed now", number(v.deployed_now)),
                (
                    f"Stock lines under {LOW_COVER_DAYS} days of cover",
                    number(len(low)) + listed(low),
                ),
                ("Hubs not open", number(sum(1 for hub in s.hubs if hub.status != "open"))),
            ],
            right=(1,),
        ),
    ]


def open_requests(s: Sitrep) -> list[str]:
    r = s.requests
    by_priority = sorted(r.open_by_priority.items(), key=lambda kv: priority_rank(kv[0]))
    return [
        "## Open requests",
        "",
        "By need:",
        "",
        *counts_table(("Need", "Open"), r.open_by_need),
        "",
        "By priority:",
        "",
        *(
            table(("Priority", "Open"), [(words(k), number(n)) for k, n in by_priority], (1,))
            if by_priority
            else [NOTHING]
        ),
    ]


def declines_and_referrals(s: Sitrep) -> list[str]:
    return [
        "## Declines and referrals",
        "",
        "Declined, by reason:",
        "",
        *counts_table(("Reason", "Declined"), s.requests.declined_by_reason),
        "",
        "Referrals between partners:",
        "",
        *(
            table(
                ("From", "To", "Referrals"),
                [(ref.from_partner, ref.to, number(ref.count)) for ref in s.referrals],
                right=(2,),
            )
            if s.referrals
            else [NOTHING]
        ),
    ]


def volunteers(s: Sitrep) -> list[str]:
    v = s.volunteers
    return [
        "## Volunteers",
        "",
        *table(
            ("Volunteers", "Now"),
            [
                ("Registered", number(v.registered)),
                ("Available", number(v.available)),
                ("Deployed now", number(v.deployed_now)),
                ("Never deployed (to re-engage)", number(v.never_deployed)),
                (f"Minutes given in the last {in_hours(WINDOW)} hours", number(v.minutes_window)),
            ],
            right=(1,),
        ),
    ]


def stock(s: Sitrep) -> list[str]:
    rows = [
        (
            line.hub_id,
            words(line.item),
            number(line.level),
            number(line.distributed_7d),
            cover(line.days_of_cover),
        )
        for line in s.stock
    ]
    return [
        "## Stock",
        "",
        f"Days of cover at the last {STOCK_DAYS} days' rate of distribution; ⚠ marks under"
        f" {LOW_COVER_DAYS} days.",
        "",
        *(
            table(
                ("Hub", "Item", "Level", f"Distributed, {STOCK_DAYS} days", "Days of cover"),
                rows,
                (2, 3, 4),
            )
            if rows
            else [NOTHING]
        ),
    ]


def hubs(s: Sitrep) -> list[str]:
    rows = [(hub.hub_id, words(hub.status), number(hub.parcels_per_day)) for hub in s.hubs]
    return [
        "## Hubs",
        "",
        *(table(("Hub", "Status", "Parcels per day"), rows, (2,)) if rows else [NOTHING]),
    ]


def areas(s: Sitrep) -> list[str]:
    """The areas with anything to report, the most unmet urgent need first; a hub's days of
    cover are its lowest."""
    active = sorted(
        (line for line in s.areas if counts_something(line.model_dump())),
        key=lambda a: (-a.unmet_urgent_over_4h, -a.urgent_open, -a.open, a.name, a.area),
    )
    quiet = len(s.areas) - len(active)
    header = (
        "Area",
        "Open",
        "Urgent",
        f"Urgent unmet > {in_hours(URGENT_WAIT)} h",
        "Volunteers",
        f"Deployed, {in_hours(WINDOW)} h",
        f"Minutes, {in_hours(WINDOW)} h",
        "Hubs",
    )
    rows = [area_row(line) for line in active]
    lines = [
        "## Areas",
        "",
        *(table(header, rows, (1, 2, 3, 4, 5, 6)) if rows else [NOTHING]),
    ]
    if quiet:
        lines += ["", f"Nothing to report in {number(quiet)} other {plural(quiet, 'area')}."]
    return lines


def area_row(a: AreaLine) -> tuple[str, ...]:
    place = a.name if a.area == a.name else f"{a.name} ({a.area})"
    hub_list = ", ".join(a.hubs)
    return (
        place,
        number(a.open),
        number(a.urgent_open),
        number(a.unmet_urgent_over_4h),
        f"{number(a.volunteers_available)} free of {number(a.volunteers_registered)}",
        number(a.deployments_window),
        number(a.minutes_window),
        f"{hub_list} ({cover(a.lowest_days_of_cover)})" if a.hubs else "—",
    )


def partners(s: Sitrep) -> list[str]:
    rows = [
        (
            p.partner,
            number(p.events),
            number(p.requests_accepted),
            number(p.requests_fulfilled),
            "—" if p.capacity_status is None else words(p.capacity_status),
        )
        for p in s.partners
    ]
    header = ("Partner", "Events published", "Requests accepted", "Requests fulfilled", "Capacity")
    return ["## Partners", "", *(table(header, rows, (1, 2, 3)) if rows else [NOTHING])]


def low_cover(s: Sitrep) -> list[str]:
    return [
        f"{line.hub_id} {words(line.item)}"
        for line in s.stock
        if line.days_of_cover is not None and line.days_of_cover < LOW_COVER_DAYS
    ]


def listed(names: Sequence[str]) -> str:
    return f" ({', '.join(names)})" if names else ""


def counts_table(header: tuple[str, str], counts: Mapping[str, int]) -> list[str]:
    """Largest first, then by name."""
    if not counts:
        return [NOTHING]
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return table(header, [(words(k), number(n)) for k, n in ordered], right=(1,))


def table(
    header: Sequence[str], rows: Iterable[Sequence[str]], right: Sequence[int] = ()
) -> list[str]:
    rule = ["---:" if column in right else "---" for column in range(len(header))]
    return [
        f"| {' | '.join(cells)} |"
        for cells in (header, rule, *([cell(c) for c in row] for row in rows))
    ]


def cell(text: str) -> str:
    return text.replace("|", "\\|")


def priority_rank(priority: str) -> tuple[int, str]:
    known = PRIORITY_ORDER.index(priority) if priority in PRIORITY_ORDER else len(PRIORITY_ORDER)
    return known, priority


def plural(n: int, noun: str) -> str:
    return noun if n == 1 else f"{noun}s"


def words(code: str) -> str:
    return code.replace("_", " ")


def number(n: int) -> str:
    return f"{n:,}"


def hours(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f} h"


def cover(days: float | None) -> str:
    if days is None:
        return "— (none distributed)"
    flag = " ⚠" if days < LOW_COVER_DAYS else ""
    return f"{days:.1f}{flag}"
