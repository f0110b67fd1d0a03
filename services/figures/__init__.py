"""Figures read back from the tables the aggregator maintains: the sitrep of docs/figures.md."""
