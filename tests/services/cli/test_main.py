"""`--help` of every command shows a flag as a flag (`--no-demo`), never as if it took a value
(`--no-demo <bool>`, as typer's rich help has it)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import typer
from typer.core import TyperOption
from typer.testing import CliRunner

from services.cli.main import app


def commands(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every command and group under `command` (typer's own click), with its path."""
    yield path, command
    for name, sub in getattr(command, "commands", {}).items():
        yield from commands(sub, (*path, name))


def flags(command: Any) -> list[str]:
    options = [p for p in command.params if isinstance(p, TyperOption) and p.is_flag]
    return [*(opt for option in options for opt in option.opts), "--help"]


def test_every_flag_in_every_help_is_shown_as_a_flag() -> None:
    runner = CliRunner()
    seen = set()
    for path, command in commands(typer.main.get_command(app)):
        shown = runner.invoke(app, [*path, "--help"], terminal_width=100)
        assert shown.exit_code == 0, shown.output
        assert "<bool>" not in shown.output, path
        for flag in flags(command):
            (line,) = [line for line in shown.output.splitlines() if line.strip().startswith(flag)]
            assert line.split() == [flag, *line.split()[1:]] and "<" not in line.split()[1], line
            seen.add(flag)
    assert {"--no-demo", "--skip-invalid", "--keep-old", "--pseudonymise", "--help"} <= seen
