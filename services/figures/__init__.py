"""Figures read back from the tables the aggregator maintains: the sitrep of figures.md."""

from services.figures.sitrep import Sitrep, sitrep, sitrep_async

__all__ = ["Sitrep", "sitrep", "sitrep_async"]
