"""Writes the contract as JSON Schema, one file per event type plus the union, for partners
who validate in other languages: `python -m schemas.export [--check]`."""

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from schemas.events import ENVELOPE_MODELS, EVENT_ADAPTER

JSONSCHEMA_DIR = Path(__file__).resolve().parent / "jsonschema"
_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def rendered_schemas() -> dict[str, str]:
    """File name → exact file content, for every schema the contract exports."""
    schemas = {
        f"{event_type}.json": {
            "$comment": _beyond_schema(model.subject_is, model.subject_judged_at_the_door),
            **model.model_json_schema(),
        }
        for event_type, model in ENVELOPE_MODELS.items()
    }
    schemas["event.json"] = {
        "$comment": _beyond_schema(()) + "; each type's own schema says what subject must equal",
        **EVENT_ADAPTER.json_schema(),
    }
    return {name: _render(schema) for name, schema in schemas.items()}


def _beyond_schema(subject_is: Sequence[str], judged_at_the_door: bool = False) -> str:
    # JSON Schema cannot compare two values of one instance, so these rules are stated in words.
    rule = "Also required, beyond this schema: the {partner} segment of source equals partner"
    if subject_is:
        rule += ", and subject equals " + " or ".join(subject_is)
    if judged_at_the_door:
        rule += " (one about another partner is refused with 403)"
    return rule


def stale_files(directory: Path = JSONSCHEMA_DIR) -> list[str]:
    """Names of files in `directory` that are missing, out of date, or no longer exported."""
    expected = rendered_schemas()
    present = {path.name for path in directory.glob("*.json")}
    differing = {
        name
        for name, text in expected.items()
        if name not in present or (directory / name).read_text(encoding="utf-8") != text
    }
    return sorted(differing | (present - expected.keys()))


def write_schemas(directory: Path = JSONSCHEMA_DIR) -> None:
    """Makes `directory` hold exactly the exported schemas."""
    expected = rendered_schemas()
    directory.mkdir(parents=True, exist_ok=True)
    for path in directory.glob("*.json"):
        if path.name not in expected:
            path.unlink()
    for name, text in expected.items():
        (directory / name).write_text(text, encoding="utf-8")


def _render(schema: dict[str, Any]) -> str:
    return (
        json.dumps({"$schema": _DIALECT, **schema}, indent=2, sort_keys=True, ensure_ascii=False)
        + "\n"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m schemas.export", description=__doc__)
    parser.add_argument(
        "--check", action="store_true", help="exit 1, naming stale files, instead of writing"
    )
    args = parser.parse_args(argv)
    if not args.check:
        write_schemas()
        return 0
    stale = stale_files()
    for name in stale:
        print(f"stale: {JSONSCHEMA_DIR / name} (run `python -m schemas.export`)", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
