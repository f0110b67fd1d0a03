"""Reading the docs' Markdown as the tests need it: sections by heading, fenced blocks, tables."""

from __future__ import annotations

import re
from pathlib import Path

DOCS = Path(__file__).resolve().parents[2] / "docs"


def sections(text: str, level: int) -> dict[str, str]:
    """Heading (without its `#`s and backticks) → the text up to the next heading of that level
    or above."""
    pattern = re.compile(rf"^#{{1,{level}}} (.+)$", re.MULTILINE)
    marks = list(pattern.finditer(text))
    found = {}
    for mark, following in zip(marks, [*marks[1:], None], strict=True):
        if mark.group(0).startswith("#" * level + " "):
            end = following.start() if following else len(text)
            found[mark.group(1).strip("`")] = text[mark.end() : end]
    return found


def fenced(text: str, language: str) -> list[str]:
    """The contents of every ```language block."""
    return re.findall(rf"^```{language}\n(.*?)^```$", text, re.MULTILINE | re.DOTALL)


def table_rows(text: str) -> list[list[str]]:
    """The cells of every table body row (header and separator rows left out)."""
    rows = []
    lines = text.splitlines()
    for before, line in zip(["", *lines], lines, strict=False):
        if line.startswith("|") and not set(line) <= set("|-: ") and before.startswith("|"):
            rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows
