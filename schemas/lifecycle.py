"""The request lifecycle, once: a request's event types in lifecycle order, their step numbers,
which ones close a request and which ones carry its need, priority and area.

Python reads the names here; SQL (the figures' projections, the sitrep, the dashboards) gets
the same values written in through `SQL_NAMES`, so no step number is typed anywhere else.
"""

from __future__ import annotations

from collections.abc import Iterable

RAISED = "resilience.request.raised.v1"
TRIAGED = "resilience.request.triaged.v1"
REFERRED = "resilience.request.referred.v1"
ACCEPTED = "resilience.request.accepted.v1"
DECLINED = "resilience.request.declined.v1"
FULFILLED = "resilience.request.fulfilled.v1"
CANCELLED = "resilience.request.cancelled.v1"

LIFECYCLE = (RAISED, TRIAGED, REFERRED, ACCEPTED, DECLINED, FULFILLED, CANCELLED)
"""Every request event type, in lifecycle order: events of a request at the same time are
taken in this order (docs/events.md, the life of a request)."""

STEP = {event_type: step for step, event_type in enumerate(LIFECYCLE, start=1)}
"""Each type's step number, as the figures store it (`request_events.step`)."""

CLOSING = frozenset((FULFILLED, CANCELLED))
"""The types after which a request is no longer open."""

ASSESSING = (RAISED, TRIAGED)
"""The types that carry the request's need and priority; the latest one's count."""

LOCATING = (RAISED,)
"""The types that carry the request's area."""


def steps(event_types: Iterable[str]) -> str:
    """SQL list of the types' steps, in lifecycle order: `6, 7`."""
    return ", ".join(str(STEP[t]) for t in sorted(event_types, key=STEP.__getitem__))


def step_of_type(column: str = "type") -> str:
    """SQL expression: the step of the event type in `column`, null for any other type."""
    whens = " ".join(f"WHEN '{t}' THEN {STEP[t]}" for t in LIFECYCLE)
    return f"CASE {column} {whens} END"


SQL_NAMES: dict[str, str] = {
    **{t.split(".")[2]: str(STEP[t]) for t in LIFECYCLE},
    "closing": steps(CLOSING),
    "assessing": steps(ASSESSING),
    "locating": steps(LOCATING),
    "step_of_type": step_of_type(),
}
"""The lifecycle as SQL text, by name: `{raised}` … `{cancelled}` a step, `{closing}`,
`{assessing}`, `{locating}` a list of steps, `{step_of_type}` the step of `type`."""
