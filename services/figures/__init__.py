"""Figures read back from the tables the aggregator maintains: the sitrep of figures.md."""
