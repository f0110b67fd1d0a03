"""Nothing that ships points a user at the product contract outside the repository: the README,
docs/, the code (its messages, OpenAPI descriptions, help, docstrings and comments), the
dashboards and the infrastructure point at docs/ instead. Tests may still read that contract to
check conformance, so tests/ is not searched."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = (
    *("README.md", "Makefile", "Dockerfile", "pyproject.toml"),
    *("docs", "services", "schemas", "infra", "dashboards", "examples", "bench"),
)
SKIPPED_SUFFIXES = {".png", ".svg", ".pyc", ".xlsx", ".gz", ".ico", ".woff", ".woff2"}

# A pointer outside the repository, or at the contract by a name users cannot follow.
OUTSIDE = re.compile(
    rb"shared/spec|\.\./shared|spec/(events|figures|interfaces)\.md|interfaces\.md"
)
THE_SPEC = re.compile(rb"\bthe spec\b|\bspec's\b", re.IGNORECASE)
# Outside docs/, a page of the docs is named with its folder, so that it can be found.
BARE_PAGE = re.compile(rb"(?<![\w/])(events|figures)\.md")


def shipped_files() -> list[Path]:
    files = []
    for name in SHIPPED:
        path = ROOT / name
        found = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        files += [
            p for p in found if p.suffix not in SKIPPED_SUFFIXES and "__pycache__" not in p.parts
        ]
    return files


def offences(pattern: re.Pattern[bytes], files: list[Path]) -> list[str]:
    return [
        f"{path.relative_to(ROOT)}:{number}: {line.decode(errors='replace').strip()}"
        for path in files
        for number, line in enumerate(path.read_bytes().splitlines(), 1)
        if pattern.search(line)
    ]


def test_the_search_covers_what_ships() -> None:
    files = {path.relative_to(ROOT).as_posix() for path in shipped_files()}
    assert {"README.md", "docs/figures.md", "services/figures/sitrep.py"} <= files
    assert {"schemas/__init__.py", "dashboards/README.md", "infra/stack.py"} <= files


def test_nothing_shipped_points_outside_the_repository() -> None:
    assert offences(OUTSIDE, shipped_files()) == []


def test_nothing_shipped_sends_a_user_to_the_spec() -> None:
    assert offences(THE_SPEC, shipped_files()) == []


def test_outside_docs_a_page_of_the_docs_is_named_by_its_path() -> None:
    outside_docs = [path for path in shipped_files() if path.parent != ROOT / "docs"]
    assert offences(BARE_PAGE, outside_docs) == []


def test_the_patterns_catch_what_they_are_for() -> None:
    assert OUTSIDE.search(b"defined in `../shared/spec/figures.md`")
    assert OUTSIDE.search(b"the types are in spec/events.md")
    assert THE_SPEC.search(b"# The spec lets `subject` name") and not THE_SPEC.search(
        b"as the CloudEvents specification says"
    )
    assert BARE_PAGE.search(b"json (figures.md) or md")
    assert not BARE_PAGE.search(b"see docs/figures.md") and not BARE_PAGE.search(b"x_figures.md")
