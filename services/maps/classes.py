"""The classes a map shades areas and colours hubs in, each once, for every map Tandem draws:
the board's and the debrief's SVG (services/maps/svg.py) and the Grafana Geomap panels, whose
SQL writes the same class with `count_class_sql` and `cover_class_sql`.

Each class has a label (what the legend, tooltips and tables say, so colour is never the only
cue) and a colour. Hub cover classes are the thresholds of schemas/thresholds.py.
"""

from __future__ import annotations

from dataclasses import dataclass

from schemas.thresholds import CRITICAL_COVER_DAYS, LOW_COVER_DAYS


@dataclass(frozen=True)
class Shade:
    label: str
    colour: str


@dataclass(frozen=True)
class CountClass(Shade):
    """Counts from `least` up (to the next class's `least`)."""

    least: int


# A sequential scale, light to dark: more requests waiting, darker area.
COUNT_CLASSES: tuple[CountClass, ...] = (
    CountClass("none", "#f4f4f4", 0),
    CountClass("1 to 2", "#fdbe85", 1),
    CountClass("3 to 5", "#e6550d", 3),
    CountClass("6 or more", "#8c2d04", 6),
)

CRITICAL = Shade(f"critical: under {CRITICAL_COVER_DAYS} days of cover", "#b2182b")
LOW = Shade(f"low: under {LOW_COVER_DAYS} days of cover", "#e69f00")
COVERED = Shade(f"{LOW_COVER_DAYS} days of cover or more", "#1a7837")
UNKNOWN_COVER = Shade("days of cover unknown", "#6e6e6e")
COVER_CLASSES: tuple[Shade, ...] = (CRITICAL, LOW, COVERED, UNKNOWN_COVER)


def count_class(count: int) -> CountClass:
    return [shade for shade in COUNT_CLASSES if count >= shade.least][-1]


def cover_class(days: float | None) -> Shade:
    if days is None:
        return UNKNOWN_COVER
    if days < CRITICAL_COVER_DAYS:
        return CRITICAL
    if days < LOW_COVER_DAYS:
        return LOW
    return COVERED


def count_class_sql(column: str) -> str:
    """SQL giving `count_class(column).label`."""
    cases = " ".join(
        f"WHEN {column} >= {shade.least} THEN '{shade.label}'" for shade in reversed(COUNT_CLASSES)
    )
    return f"CASE {cases} END"


def cover_class_sql(column: str) -> str:
    """SQL giving `cover_class(column).label`."""
    return (
        f"CASE WHEN {column} IS NULL THEN '{UNKNOWN_COVER.label}'"
        f" WHEN {column} < {CRITICAL_COVER_DAYS} THEN '{CRITICAL.label}'"
        f" WHEN {column} < {LOW_COVER_DAYS} THEN '{LOW.label}'"
        f" ELSE '{COVERED.label}' END"
    )
