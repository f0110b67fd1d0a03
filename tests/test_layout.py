"""The layout's import directions (README, "Layout"): the contracts in pyproject.toml, checked
by import-linter on every module of the four packages; and the tests' own layout: they mirror
the source tree, and what they share is in tests/support, never in a test module."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from tests.support.paths import ROOT

TESTS = ROOT / "tests"
# Folders of the suite that are not a source package: what tests share, suites across the whole
# system, and the benchmarks (whose helpers serve them alone).
OWN_FOLDERS = {"support", "system", "bench"}


def test_every_import_runs_the_way_the_layers_allow() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 4 kept, 0 broken." in result.stdout


def modules(path: Path) -> list[Path]:
    return sorted(p for p in path.rglob("*.py") if "__pycache__" not in p.parts)


def imported(path: Path) -> set[str]:
    """Every module `path` imports, absolute, with what `from … import` names (a name may be a
    module)."""
    package = ".".join(path.relative_to(ROOT).parent.parts)
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def test_no_module_of_the_suite_imports_a_test_module() -> None:
    offending = {
        f"{path.relative_to(ROOT)} imports {name}"
        for path in modules(TESTS)
        for name in imported(path)
        if name.startswith("tests.") and name.rsplit(".", 1)[-1].startswith("test_")
    }
    assert not offending, "move what is shared to tests/support:\n" + "\n".join(sorted(offending))


def test_test_folders_mirror_source_packages_and_helpers_live_in_support() -> None:
    folders = {p.parent for p in modules(TESTS)} - {TESTS}
    not_in_source = [
        str(folder.relative_to(ROOT))
        for folder in folders
        if folder.relative_to(TESTS).parts[0] not in OWN_FOLDERS
        and not (ROOT / folder.relative_to(TESTS) / "__init__.py").is_file()
    ]
    assert not not_in_source, f"test folders with no source package of that path: {not_in_source}"
    stray_helpers = [
        str(path.relative_to(ROOT))
        for path in modules(TESTS)
        if not path.name.startswith("test_")
        and path.name not in {"__init__.py", "conftest.py"}
        and path.relative_to(TESTS).parts[0] not in {"support", "bench"}
    ]
    assert not stray_helpers, f"helpers outside tests/support: {stray_helpers}"
