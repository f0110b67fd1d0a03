"""What every `tandem` command shares: one-line failures, the settings object, the database."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from services.settings import Settings

if TYPE_CHECKING:
    import psycopg


def fail(message: str) -> typer.Exit:
    typer.echo(f"tandem: {message}", err=True)
    return typer.Exit(1)


def settings_for(data_dir: Path | None = None) -> Settings:
    return Settings(data_dir=data_dir) if data_dir else Settings()


def columns(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A table for a terminal: each column as wide as its widest cell, two spaces apart."""
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [header, *rows]
    )


def database_failure(exc: Exception) -> typer.Exit:
    reason = str(exc).strip().partition("\n")[0] or type(exc).__name__
    return fail(f"database: {reason}")


@contextmanager
def refusals(*refused: type[Exception]) -> Iterator[None]:
    """The command's own refusals (`refused`) and database errors, as one-line failures."""
    import psycopg

    try:
        yield
    except refused as exc:
        raise fail(str(exc)) from None
    except (RuntimeError, psycopg.Error) as exc:
        raise database_failure(exc) from None


@contextmanager
def database(*refused: type[Exception]) -> Iterator[psycopg.Connection[tuple[object, ...]]]:
    """A connection to the stack's database, failing as `refusals` says."""
    from services.store.connections import connect

    with refusals(*refused), connect(settings_for()) as conn:
        yield conn
