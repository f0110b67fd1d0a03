"""What every `tandem` command shares: one-line failures and the settings object."""

from __future__ import annotations

from pathlib import Path

import typer

from services.settings import Settings


def fail(message: str) -> typer.Exit:
    typer.echo(f"tandem: {message}", err=True)
    return typer.Exit(1)


def settings_for(data_dir: Path | None = None) -> Settings:
    return Settings(data_dir=data_dir) if data_dir else Settings()


def database_failure(exc: Exception) -> typer.Exit:
    reason = str(exc).strip().partition("\n")[0] or type(exc).__name__
    return fail(f"database: {reason}")
