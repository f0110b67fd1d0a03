"""The editions service: issues the scheduled sitrep editions (services/figures/schedules.py)."""
