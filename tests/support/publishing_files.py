"""Partners' files as a test writes them: CSV as Excel saves it, workbooks, and events as rows of
attribute columns."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from openpyxl import Workbook

ATTRIBUTES = ["id", "source", "type", "time", "partner", "incident"]
STOCK_DATA = ["data.hub_id", "data.item", "data.quantity", "data.from"]


def as_columns(event: dict[str, Any]) -> list[Any]:
    """An event as a row of attribute columns, as a partner's sheet holds it."""
    return [event[name] for name in ATTRIBUTES] + [
        event["data"][name.removeprefix("data.")] for name in STOCK_DATA
    ]


def write_csv(path: Path, header: list[str], rows: list[list[Any]]) -> Path:
    with path.open("w", newline="", encoding="utf-8-sig") as out:  # as Excel writes it
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_xlsx(path: Path, header: list[str], rows: list[list[Any]]) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path
