"""What the tests share: builders of events, servers and processes, reference oracles. Never a
test; a test module imports from here and from no other test module."""
