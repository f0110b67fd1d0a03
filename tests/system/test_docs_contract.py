"""docs/events.md documents every event type of the contract: a section each, whose field table
lists exactly the type's `data` fields with whether each is required, and whose example is a
valid event of that type by the pydantic models and by the exported JSON Schema."""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from schemas import ENVELOPE_MODELS, EVENT_TYPES, ContractError, parse_event_obj
from schemas.export import JSONSCHEMA_DIR
from tests.support.markdown import DOCS, fenced, sections, table_rows

PAGE = DOCS / "events.md"


@cache
def type_sections() -> dict[str, str]:
    return {
        heading: body
        for heading, body in sections(PAGE.read_text(encoding="utf-8"), 3).items()
        if heading.startswith("resilience.")
    }


def example(event_type: str) -> dict[str, Any]:
    (block,) = fenced(type_sections()[event_type], "json")
    event = json.loads(block)
    assert isinstance(event, dict)
    return event


def test_every_type_of_the_contract_has_a_section_and_no_other() -> None:
    assert sorted(type_sections()) == sorted(ENVELOPE_MODELS)
    assert len(ENVELOPE_MODELS) == 20


@pytest.mark.parametrize("event_type", sorted(EVENT_TYPES))
def test_the_example_is_a_valid_event_of_its_type(event_type: str) -> None:
    event = example(event_type)
    assert event["type"] == event_type
    assert type(parse_event_obj(event)) is ENVELOPE_MODELS[event_type]
    schema = json.loads((JSONSCHEMA_DIR / f"{event_type}.json").read_text(encoding="utf-8"))
    Draft202012Validator(schema).validate(event)


@pytest.mark.parametrize("event_type", sorted(EVENT_TYPES))
def test_the_field_table_is_the_payload_model(event_type: str) -> None:
    documented = {
        cells[0].strip("`"): cells[1]
        for cells in table_rows(type_sections()[event_type])
        if cells[0].startswith("`")
    }
    model = EVENT_TYPES[event_type]
    expected = {
        (field.alias or name): "yes" if field.is_required() else "no"
        for name, field in model.model_fields.items()
    }
    assert documented == expected


@pytest.mark.parametrize("event_type", sorted(EVENT_TYPES))
def test_the_section_links_its_json_schema(event_type: str) -> None:
    link = f"(../schemas/jsonschema/{event_type}.json)"
    assert link in type_sections()[event_type]
    assert (PAGE.parent / link.strip("()")).resolve() == JSONSCHEMA_DIR / f"{event_type}.json"


def test_the_example_of_an_invalid_event_would_fail() -> None:
    """The checks above can fail: a misspelt field in an example is caught by both."""
    event = example("resilience.stock.counted.v1")
    event["data"]["quantitty"] = event["data"].pop("quantity")
    schema = json.loads(
        (JSONSCHEMA_DIR / "resilience.stock.counted.v1.json").read_text(encoding="utf-8")
    )
    assert not Draft202012Validator(schema).is_valid(event)
    with pytest.raises(ContractError, match="quantitty"):
        parse_event_obj(event)


def test_every_link_between_the_docs_resolves_to_a_page_and_heading() -> None:
    for page in sorted(DOCS.glob("*.md")):
        for target, anchor in re.findall(r"\]\(([^)#\s]*)(?:#([^)\s]*))?\)", page.read_text()):
            if "://" in target:
                continue
            linked = (page.parent / target).resolve() if target else page
            assert linked.exists(), f"{page.name} links {target}"
            if anchor and linked.suffix == ".md" and linked.parent == DOCS:
                assert anchor in anchors(linked.read_text()), f"{page.name} links #{anchor}"


def anchors(text: str) -> set[str]:
    """The anchors GitHub gives a page's headings: lower case, punctuation dropped, spaces as -."""
    headings = re.findall(r"^#+ (.+)$", text, re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", h.lower()).replace(" ", "-") for h in headings}


def test_the_index_lists_every_page() -> None:
    index = (DOCS / "README.md").read_text(encoding="utf-8")
    pages = {path.name for path in DOCS.glob("*.md")} - {"README.md"}
    assert pages and all(f"]({name})" in index for name in pages)
