"""A whole file checked before anything is sent: every row turned into events and every event
validated against the contract, with every problem reported against the row and column of the
partner's file. Rows are all-or-nothing: a row with any problem sends none of its events."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import orjson

from schemas import ContractError, Problem, parse_batch_json
from services.publishing.mapping import EventMapping
from services.publishing.rows import FileProblem, RowFile, Unreadable, read_rows
from services.publishing.translate import (
    AttributeColumns,
    EventObjects,
    MappedRows,
    Translator,
    attribute_of,
)

VALIDATION_CHUNK = 2000
"""Events validated in one call: pydantic-core validates a whole list at native speed."""


@dataclass(frozen=True)
class RowProblem:
    """One thing wrong with a row: the column it was read from (None when the mapping or the
    event itself is at fault) and the contract attribute it was for."""

    row: int
    column: str | None
    attribute: str
    reason: str

    def __str__(self) -> str:
        where = f"row {self.row}"
        if self.column:
            where += f', column "{self.column}"'
        if self.attribute:
            where += f" ({self.attribute})"
        return f"{where}: {self.reason}"


@dataclass
class Checked:
    events: list[dict[str, Any]]
    """Every event of the good rows, in the file's order."""
    rows: int
    eventless_rows: int
    """Rows no rule of the mapping applied to."""
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def bad_rows(self) -> int:
        return len({problem.row for problem in self.problems})

    @property
    def good_rows(self) -> int:
        return self.rows - self.bad_rows - self.eventless_rows


@dataclass(frozen=True)
class _Origin:
    row: int
    rule: int
    reported: frozenset[str]


def check_file(path: Path, mapping: EventMapping | None) -> Checked:
    """Reads and checks the whole file; raises `FileProblem` when it cannot be read at all."""
    row_file = read_rows(path, mapping.sheet if mapping else None)
    translator = _translator(path, row_file, mapping)
    events: list[dict[str, Any]] = []
    origins: list[_Origin] = []
    report = _Report(translator)
    rows = eventless = 0
    contract = _ContractCheck()
    for row in row_file.rows:
        rows += 1
        if isinstance(row, Unreadable):
            report.add(row.number, None, "", row.reason)
            continue
        made = translator.events(row)
        eventless += not made
        for one in made:
            for attribute, reason in one.problems.items():
                report.add(row.number, one.rule, attribute, reason)
            events.append(one.event)
            origins.append(_Origin(row.number, one.rule, frozenset(one.problems)))
        if len(events) - contract.submitted >= VALIDATION_CHUNK:
            contract.submit(events)
    for start, found in contract.results(events):
        for problem in found:
            origin = origins[start + (problem.index or 0)]
            if attribute_of(problem.field) not in origin.reported:
                report.add(origin.row, origin.rule, problem.field, problem.reason)
    problems = sorted(report.problems, key=lambda problem: problem.row)
    bad = {problem.row for problem in problems}
    good = [event for event, origin in zip(events, origins, strict=True) if origin.row not in bad]
    return Checked(good, rows, eventless, problems)


def contract_problems(body: bytes) -> list[Problem]:
    """What the contract finds wrong in a batch of events (JSON), as the gateway would."""
    try:
        parse_batch_json(body)
    except ContractError as error:
        return error.problems
    return []


class _ContractCheck:
    """Validates the events, a chunk at a time, in a second process while this one goes on
    reading the file: on a large file the two take about as long as each other, so checking
    takes about half as long. A file of one chunk is validated here, with no process."""

    def __init__(self) -> None:
        self.submitted = 0
        self._pool: ProcessPoolExecutor | None = None
        self._pending: list[tuple[int, Future[list[Problem]]]] = []

    def submit(self, events: list[dict[str, Any]]) -> None:
        """Sends the next chunk of `events` to be validated."""
        if self._pool is None:
            self._pool = ProcessPoolExecutor(1, mp_context=get_context("forkserver"))
        chunk = orjson.dumps(events[self.submitted : self.submitted + VALIDATION_CHUNK])
        self._pending.append((self.submitted, self._pool.submit(contract_problems, chunk)))
        self.submitted += VALIDATION_CHUNK

    def results(self, events: list[dict[str, Any]]) -> Iterator[tuple[int, list[Problem]]]:
        """The problems of every chunk of `events`, by the chunk's first index."""
        try:
            for start, future in self._pending:
                yield start, future.result()
        finally:
            if self._pool is not None:
                self._pool.shutdown(cancel_futures=True)
        if self.submitted < len(events):
            yield self.submitted, contract_problems(orjson.dumps(events[self.submitted :]))


class _Report:
    """Problems, each said once: a blank cell feeding three attributes is one problem."""

    def __init__(self, translator: Translator) -> None:
        self.column_of: Callable[[int, str], str | None] = translator.column_of
        self.problems: list[RowProblem] = []
        self._seen: set[tuple[int, str, str]] = set()

    def add(self, row: int, rule: int | None, attribute: str, reason: str) -> None:
        column = None if rule is None else self.column_of(rule, attribute)
        if column is not None:
            if (row, column, reason) in self._seen:
                return
            self._seen.add((row, column, reason))
        self.problems.append(RowProblem(row, column, attribute, reason))


def _translator(path: Path, row_file: RowFile, mapping: EventMapping | None) -> Translator:
    if mapping is None:
        if row_file.columns is None:
            return EventObjects()
        return AttributeColumns(row_file.columns)
    if row_file.columns is not None:
        missing = sorted(mapping.columns() - set(row_file.columns))
        if missing:
            raise FileProblem(
                f"{path.name} lacks columns the mapping reads: {', '.join(map(repr, missing))} "
                f"(its columns: {', '.join(map(repr, row_file.columns))})"
            )
    return MappedRows(mapping)
