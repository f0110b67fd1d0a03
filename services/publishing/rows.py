"""Reading a file into rows: one dict of column → value per row, numbered as the partner sees
the file, so a problem can be found again in it.

Row numbers: in a CSV file or a sheet the header is row 1 and the first record row 2 (what a
spreadsheet shows); in NDJSON the line; in a JSON array the element's position, from 1.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

CSV_SUFFIXES = (".csv",)
XLSX_SUFFIXES = (".xlsx",)
JSON_SUFFIXES = (".json",)
NDJSON_SUFFIXES = (".ndjson", ".jsonl")
SUFFIXES = CSV_SUFFIXES + XLSX_SUFFIXES + JSON_SUFFIXES + NDJSON_SUFFIXES


@dataclass(frozen=True)
class Row:
    number: int
    values: dict[str, Any]


@dataclass(frozen=True)
class Unreadable:
    """A row that could not be read at all (e.g. an NDJSON line that is not JSON)."""

    number: int
    reason: str


class FileProblem(ValueError):
    """The file as a whole cannot be read: its format, its header, its sheet."""


@dataclass
class RowFile:
    """A file's rows, and the columns its header names (None when rows carry their own keys:
    JSON)."""

    columns: list[str] | None
    rows: Iterator[Row | Unreadable]


def read_rows(path: Path, sheet: str | None = None) -> RowFile:
    """The rows of a CSV, XLSX (`sheet`, default the first), JSON or NDJSON file."""
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        return _csv_rows(path)
    if suffix in XLSX_SUFFIXES:
        return _xlsx_rows(path, sheet)
    if suffix in JSON_SUFFIXES:
        return RowFile(None, _json_rows(path))
    if suffix in NDJSON_SUFFIXES:
        return RowFile(None, _ndjson_rows(path))
    raise FileProblem(f"{path.name}: unsupported file type; use one of {', '.join(SUFFIXES)}")


def _csv_rows(path: Path) -> RowFile:
    # utf-8-sig: Excel writes a byte order mark at the start of "CSV UTF-8" files.
    stream = path.open(newline="", encoding="utf-8-sig")
    reader = csv.reader(stream)
    with _utf8(path):
        header = next(reader, None)
    if not header:
        stream.close()
        raise FileProblem(f"{path.name}: no header row")
    columns = [name.strip() for name in header]

    def rows() -> Iterator[Row]:
        with stream, _utf8(path):
            for number, values in enumerate(reader, start=2):
                if any(values):
                    yield Row(number, dict(zip(columns, values, strict=False)))

    return RowFile(columns, rows())


@contextmanager
def _utf8(path: Path) -> Iterator[None]:
    try:
        yield
    except UnicodeDecodeError:
        raise FileProblem(f"{path.name}: not UTF-8 text; save it as CSV UTF-8") from None


def _xlsx_rows(path: Path, sheet: str | None) -> RowFile:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (OSError, ValueError, KeyError) as exc:
        raise FileProblem(f"{path.name}: not a readable .xlsx workbook ({exc})") from None
    if sheet is not None and sheet not in book.sheetnames:
        book.close()
        raise FileProblem(f"{path.name}: no sheet {sheet!r} (it has {', '.join(book.sheetnames)})")
    cells = book[sheet] if sheet is not None else book.worksheets[0]
    lines = cells.iter_rows(values_only=True)
    header = next(lines, None)
    if not header or not any(header):
        book.close()
        raise FileProblem(f"{path.name}: no header row in sheet {cells.title!r}")
    columns = ["" if name is None else str(name).strip() for name in header]

    def rows() -> Iterator[Row]:
        try:
            for number, values in enumerate(lines, start=2):
                if any(value not in (None, "") for value in values):
                    yield Row(number, dict(zip(columns, values, strict=False)))
        finally:
            book.close()

    return RowFile(columns, rows())


def _json_rows(path: Path) -> Iterator[Row | Unreadable]:
    try:
        body = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as exc:
        raise FileProblem(f"{path.name}: not valid JSON ({exc})") from None
    for number, value in enumerate(body if isinstance(body, list) else [body], start=1):
        yield _object_row(number, value)


def _ndjson_rows(path: Path) -> Iterator[Row | Unreadable]:
    with path.open("rb") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                value = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                yield Unreadable(number, f"is not valid JSON ({exc})")
                continue
            yield _object_row(number, value)


def _object_row(number: int, value: object) -> Row | Unreadable:
    if isinstance(value, dict):
        return Row(number, value)
    return Unreadable(number, "is not a JSON object")
