"""The exported JSON Schema: checked-in files are fresh, and they agree with spec/events.md."""

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from schemas import ENVELOPE_MODELS
from schemas.export import JSONSCHEMA_DIR, main, rendered_schemas, stale_files, write_schemas
from tests.support.paths import ROOT

SPEC = ROOT.parent / "shared/spec/events.md"

# Optional fields added to v1 after the spec's table was written (issue 17: a hub's place), each
# named here so that any other difference from the spec still fails.
ADDED_SINCE_SPEC = {"resilience.hub.status.v1": ("latitude", "longitude")}


def test_checked_in_schemas_are_fresh() -> None:
    expected = rendered_schemas()
    present = {path.name for path in JSONSCHEMA_DIR.glob("*.json")}
    assert present == set(expected), "run `python -m schemas.export`"
    for name, text in expected.items():
        assert (JSONSCHEMA_DIR / name).read_text(encoding="utf-8") == text, (
            f"{name} is stale: run `python -m schemas.export`"
        )
    assert main(["--check"]) == 0


def test_one_schema_per_type_plus_the_union() -> None:
    assert set(rendered_schemas()) == {f"{t}.json" for t in ENVELOPE_MODELS} | {"event.json"}


def test_rendering_is_deterministic_sorted_and_newline_terminated() -> None:
    first, second = rendered_schemas(), rendered_schemas()
    assert first == second
    for text in first.values():
        assert text.endswith("}\n")
        assert (
            text
            == json.dumps(json.loads(text), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        )


def test_check_names_changed_missing_and_orphaned_files(tmp_path: Path) -> None:
    write_schemas(tmp_path)
    assert stale_files(tmp_path) == []
    (tmp_path / "event.json").write_text("{}\n", encoding="utf-8")
    (tmp_path / "resilience.hub.status.v1.json").unlink()
    (tmp_path / "resilience.request.raised.v0.json").write_text("{}\n", encoding="utf-8")
    assert stale_files(tmp_path) == [
        "event.json",
        "resilience.hub.status.v1.json",
        "resilience.request.raised.v0.json",
    ]
    write_schemas(tmp_path)
    assert stale_files(tmp_path) == []


@dataclass(frozen=True)
class SpecField:
    name: str
    optional: bool
    enum: frozenset[str] | None


# Words that qualify a field in the spec's parentheses rather than list its allowed values.
_QUALIFIERS = {"optional", "int", "bool"}


def _spec_field(name: str, note: str | None, enums_so_far: dict[str, frozenset[str]]) -> SpecField:
    items = [item.strip() for item in (note or "").removeprefix("list:").split(",")]
    is_enum = (
        len(items) >= 2
        and all(re.fullmatch(r"[a-z][a-z0-9_]*", item) for item in items)
        and not _QUALIFIERS & set(items)
    )
    if is_enum:
        enums_so_far[name] = frozenset(items)
    # A bare name or "(as above)" reuses the values listed for that name earlier in the page.
    inherited = note is None or note == "as above"
    enum = enums_so_far[name] if is_enum else enums_so_far.get(name) if inherited else None
    return SpecField(name, re.search(r"\boptional\b", note or "") is not None, enum)


@cache
def _spec_text() -> str:
    if not SPEC.is_file():
        pytest.skip(f"the wire-format spec is not at {SPEC}; it is kept outside this repository")
    return SPEC.read_text(encoding="utf-8")


@cache
def _spec_payloads() -> dict[str, tuple[SpecField, ...]]:
    enums_so_far: dict[str, frozenset[str]] = {}
    payloads = {}
    for event_type, cell in re.findall(
        r"^\| `(resilience\.[^`]+)` \| (.*) \|$", _spec_text(), re.M
    ):
        # Prose after an em dash (e.g. "— `subject` = incident id") is not a field list.
        fields = cell.split("—")[0]
        payloads[event_type] = tuple(
            _spec_field(name, note or None, enums_so_far)
            for name, note in re.findall(r"`([a-z_]+)`(?: \(([^)]*)\))?", fields)
        )
    return payloads


def _schema(event_type: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((JSONSCHEMA_DIR / f"{event_type}.json").read_text("utf-8"))
    return schema


def _resolve(root: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in schema:
        return _resolve(root, root["$defs"][schema["$ref"].rsplit("/", 1)[-1]])
    values = [option for option in schema.get("anyOf", []) if option.get("type") != "null"]
    if len(values) == 1:
        return _resolve(root, values[0])
    return _resolve(root, schema["items"]) if schema.get("type") == "array" else schema


def test_spec_lists_exactly_the_exported_types() -> None:
    assert set(_spec_payloads()) == set(ENVELOPE_MODELS)


@pytest.mark.parametrize("event_type", ENVELOPE_MODELS)
def test_schema_data_matches_the_spec_table(event_type: str) -> None:
    added = ADDED_SINCE_SPEC.get(event_type, ())
    spec_fields = {field.name: field for field in _spec_payloads()[event_type]} | {
        name: SpecField(name, True, None) for name in added
    }
    root = _schema(event_type)
    assert root["properties"]["type"]["const"] == event_type
    data = _resolve(root, root["properties"]["data"])
    assert set(data["properties"]) == set(spec_fields)
    assert set(data.get("required", [])) == {f.name for f in spec_fields.values() if not f.optional}
    for name, field in spec_fields.items():
        values = _resolve(root, data["properties"][name]).get("enum")
        assert (frozenset(values) if values else None) == field.enum, f"{event_type} data.{name}"


@cache
def _spec_beyond_the_table() -> tuple[str, str, frozenset[str], str]:
    """From the paragraph under the attribute table: what stands in for `data`, the optional
    attribute, the documented extensions kept, and the extension name rule."""
    paragraph = re.search(r"^Other CloudEvents producers add .*?\n\n", _spec_text(), re.M | re.S)
    assert paragraph, "the spec's paragraph on what CloudEvents producers add"
    text = paragraph.group(0)
    instead = re.search(r"`([a-z_0-9]+)` in place of `data`", text)
    optional = re.search(r"payload\), `([a-z]+)`", text)
    kept = re.search(r"The documented\s+extensions (.*?) are kept", text, re.S)
    rule = re.search(r"\(`(\[a-z0-9\][^`]*)`\)", text)
    assert instead and optional and kept and rule
    names = frozenset(re.findall(r"`([a-z]+)`", kept.group(1)))
    return instead.group(1), optional.group(1), names, rule.group(1)


def test_schema_envelope_matches_the_spec_attribute_table() -> None:
    attributes = dict(re.findall(r"^\| `([a-z]+)` \| (yes|no) \|", _spec_text(), re.M))
    instead_of_data, optional, kept, name_rule = _spec_beyond_the_table()
    assert (instead_of_data, optional, len(kept)) == ("data_base64", "dataschema", 4)
    for event_type in ENVELOPE_MODELS:
        root = _schema(event_type)
        assert set(root["properties"]) == set(attributes) | {instead_of_data, optional} | kept
        required = {name for name, is_required in attributes.items() if is_required == "yes"}
        # `data` or what stands in for it, one of them.
        assert set(root["required"]) == required - {"data"}
        assert root["oneOf"] == [{"required": ["data"]}, {"required": [instead_of_data]}]
        assert root["properties"][instead_of_data]["contentSchema"] == root["properties"]["data"]
        # Other extensions are allowed by the spec's name rule (and dropped), nothing else.
        assert list(root["patternProperties"]) == [f"^{name_rule}$"]
        assert root["additionalProperties"] is False


def test_spec_parser_reads_enums_qualifiers_and_inherited_values() -> None:
    payloads = _spec_payloads()
    raised = {field.name: field for field in payloads["resilience.request.raised.v1"]}
    triaged = {field.name: field for field in payloads["resilience.request.triaged.v1"]}
    registered = {field.name: field for field in payloads["resilience.volunteer.registered.v1"]}
    assert raised["person_ref"] == SpecField("person_ref", optional=True, enum=None)
    assert raised["household_size"].enum is None
    assert triaged["need"].enum == raised["need"].enum and raised["need"].enum is not None
    assert registered["skills"].enum is not None and "first_aid" in registered["skills"].enum
    assert payloads["resilience.incident.stood_down.v1"] == ()
    assert [f.name for f in payloads["resilience.partner.capacity.v1"]] == [
        "need",
        "capacity_per_day",
        "status",
    ]
