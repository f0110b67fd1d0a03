"""Tables written as CSV files: plain, or HXL-tagged (a row of hashtags under the header)."""

from __future__ import annotations

import csv
from pathlib import Path

from services.figures.sitrep_tables import Table


def write_csv(table: Table, directory: Path, hxl: bool) -> Path:
    """`<directory>/<table>.csv`, UTF-8; an empty cell where a figure is null."""
    path = directory / f"{table.name}.csv"
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(column.name for column in table.columns)
        if hxl:
            writer.writerow(column.hxl for column in table.columns)
        writer.writerows(table.rows)
    return path
