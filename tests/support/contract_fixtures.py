"""The contract's own examples (`schemas/fixtures/`): valid and invalid events of every type,
all published by `kingston-foodbank`."""

from __future__ import annotations

import json
from importlib.resources import files
from typing import Any

from schemas import ENVELOPE_MODELS

FIXTURES = files("schemas") / "fixtures"

FIXTURE_DOCS: dict[str, dict[str, Any]] = {
    event_type: json.loads((FIXTURES / f"{event_type}.json").read_text(encoding="utf-8"))
    for event_type in ENVELOPE_MODELS
}
"""Type → {"valid": [event, …], "invalid": [{"why", "field", "event"}, …]}."""

VALID_EVENTS: list[dict[str, Any]] = [
    event for doc in FIXTURE_DOCS.values() for event in doc["valid"]
]
