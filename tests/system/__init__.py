"""Suites across the whole system: the fault suite, the completeness flood, `tandem up` end to
end, every way in at once, and the published examples."""
