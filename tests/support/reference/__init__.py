"""Reference implementations written straight from the spec, used as test oracles."""
