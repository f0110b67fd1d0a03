"""The request lifecycle is defined once (schemas/lifecycle.py): the figures' SQL stores the
steps it defines, and no SQL of the services or dashboards types a step number of its own."""

from __future__ import annotations

import re
from pathlib import Path

import psycopg

from schemas import ENVELOPE_MODELS
from schemas.lifecycle import ASSESSING, CLOSING, LIFECYCLE, STEP
from services.figures.writer import apply_batch, projections
from tests.support.contract_fixtures import VALID_EVENTS

ROOT = Path(__file__).resolve().parents[2]

# events.md, "Request state": the order ties at the same time are broken in.
SPEC_ORDER = ("raised", "triaged", "referred", "accepted", "declined", "fulfilled", "cancelled")

# A step written as a number: `step = 3`, `e.step IN (1, 2)`, `step NOT IN (6, 7)`,
# `CASE step WHEN 4`, `WHEN 'resilience.request.x.v1' THEN 2`.
BARE_STEP = re.compile(
    r"\bstep\s*(?:=|<>|!=|<=|>=|<|>|IN|NOT\s+IN)\s*\(?\s*\d"
    r"|\bCASE\s+\w*\.?step\s+WHEN\s+\d"
    r"|'resilience\.request\.\w+\.v1'\s+THEN\s+\d",
    re.IGNORECASE,
)


def test_the_lifecycle_is_every_request_type_in_the_specified_order() -> None:
    assert tuple(f"resilience.request.{name}.v1" for name in SPEC_ORDER) == LIFECYCLE
    assert set(LIFECYCLE) == {t for t in ENVELOPE_MODELS if t.startswith("resilience.request.")}
    assert [STEP[t] for t in LIFECYCLE] == list(range(1, len(SPEC_ORDER) + 1))
    assert {t.split(".")[2] for t in CLOSING} == {"fulfilled", "cancelled"}
    assert {t.split(".")[2] for t in ASSESSING} == {"raised", "triaged"}


def test_the_projections_store_the_step_the_lifecycle_gives_each_type(database_url: str) -> None:
    requests = [e for e in VALID_EVENTS if e["type"] in STEP]
    with psycopg.connect(database_url) as conn:
        apply_batch(conn, "live", requests)
        stored = conn.execute(
            "SELECT c.type, r.step FROM request_events r"
            " JOIN counted_events c USING (run, source, id)"
        ).fetchall()
    assert {t for t, _ in stored} == set(LIFECYCLE)
    assert all(step == SPEC_ORDER.index(t.split(".")[2]) + 1 for t, step in stored), stored


def test_the_projections_are_complete_sql_once_loaded() -> None:
    for name, statement in projections():
        assert "{" not in statement and "}" not in statement, name


def sql_sources() -> list[tuple[Path, str]]:
    files = [*ROOT.joinpath("services").rglob("*.py"), *ROOT.joinpath("services").rglob("*.sql")]
    files += ROOT.joinpath("dashboards").rglob("*.py")
    return [(path, path.read_text(encoding="utf-8")) for path in sorted(files)]


def test_no_sql_types_a_step_number() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{text.count(chr(10), 0, match.start()) + 1}: {match.group()}"
        for path, text in sql_sources()
        for match in BARE_STEP.finditer(text)
    ]
    assert found == []


def test_the_check_finds_a_bare_step() -> None:
    for sql in ("WHERE step = 3", "e.step IN (1, 2)", "step NOT IN (6, 7)", "CASE step WHEN 4"):
        assert BARE_STEP.search(sql), sql
    assert not BARE_STEP.search("WHERE step = {STEP[REFERRED]} AND step IN ({closing})")
