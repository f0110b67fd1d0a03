"""The README's walk-through runs verbatim, in order, on a fresh `tandem up` with the demo on.

The blocks a newcomer types after `make run` are marked in README.md by an HTML comment on the
line before their fence: `<!-- walkthrough -->` for commands (a `python` block is run by the
project's Python, as the README says to run it), `<!-- walkthrough: output -->` for what the
block before it prints. They run in one bash process (`set -euo pipefail`) from the repository
root, with `.venv/bin` first on PATH and `TANDEM_DATA_DIR` naming the test's stack; the one
liberty taken is the gateway's address, `http://127.0.0.1:8080` in the README, which becomes the
test stack's own port. Each shown output must equal what its block printed (stdout and stderr,
as on a terminal), line by line, once the parts that differ from run to run are normalised
(tokens, agreement ids, pseudonyms, today's dates); `…` in a shown line stands for what the
README leaves out of it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from infra.broker import free_port
from infra.postgres import EmbeddedPostgres
from services.simulate.demo_progress import DEMO_FILE
from tests.support.paths import ROOT
from tests.support.servers import wait_for
from tests.support.stack_process import short_data_dir, start, stop, wait_ready

README_GATEWAY = "http://127.0.0.1:8080"
DEMO_SPEED = 3600.0  # as `make run` streams it: the walk-through runs while the demo does
BLOCK = re.compile(
    r"^<!-- walkthrough(?P<output>: output)? -->\n```(?P<lang>\w*)\n(?P<body>.*?)^```$",
    re.MULTILINE | re.DOTALL,
)
# What differs between two honest runs, named the same on both sides of the comparison.
VARIABLE = (
    (re.compile(r"tdm_[\w…-]+"), "tdm_<token>"),
    (re.compile(r"dsa-[0-9a-f…]+"), "dsa-<agreement>"),
    (re.compile(r"pp-[0-9a-f…]+"), "pp-<pseudonym>"),
    # Dates from 2021 on are today's (the walk-through's own events are in 2020).
    (re.compile(r"20(2[1-9]|[3-9]\d)-\d\d-\d\d(T[\d:.]+(\+00:00|Z)?)?"), "<today>"),
)
SENTINEL = "@@ walkthrough block {} @@"


@dataclass(frozen=True)
class Block:
    body: str
    python: bool
    shown: str | None  # what the README shows it prints, if it shows it


def walkthrough(readme: str) -> list[Block]:
    blocks: list[Block] = []
    for found in BLOCK.finditer(readme):
        if found["output"]:
            assert blocks and blocks[-1].shown is None, "an output block follows no command"
            last = blocks.pop()
            blocks.append(Block(last.body, last.python, found["body"]))
        else:
            blocks.append(Block(found["body"], found["lang"] == "python", None))
    return blocks


def script(blocks: list[Block], gateway: str) -> str:
    lines = ["set -euo pipefail", "exec 2>&1"]
    for number, block in enumerate(blocks):
        body = block.body.replace(README_GATEWAY, gateway)
        if block.python:
            body = f"python - <<'PYTHON'\n{body}PYTHON\n"
        lines += [f"printf '\\n%s\\n' '{SENTINEL.format(number)}'", body]
    return "\n".join(lines) + "\n"


def printed(output: str, blocks: int) -> list[str]:
    """What each block printed, from the script's whole output."""
    sentinel = re.escape(SENTINEL).replace(r"\{\}", r"\d+")
    parts = re.split(rf"\n{sentinel}\n", "\n" + output)
    assert len(parts) == blocks + 1, output
    return [part.strip("\n") for part in parts[1:]]


def normalised(text: str) -> str:
    for pattern, name in VARIABLE:
        text = pattern.sub(name, text)
    return text


def matches(shown: str, ran: str) -> bool:
    shown_lines = normalised(shown.strip("\n")).splitlines()
    ran_lines = normalised(ran).splitlines()
    return len(shown_lines) == len(ran_lines) and all(
        re.fullmatch(".*?".join(map(re.escape, expected.split("…"))), actual)
        for expected, actual in zip(shown_lines, ran_lines, strict=True)
    )


@dataclass(frozen=True)
class Stack:
    data_dir: Path
    gateway: str


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    logs = tmp_path_factory.mktemp("walkthrough")
    with short_data_dir(keep_logs_in=logs) as data_dir:
        port = free_port()
        process = start(data_dir, port, logs / "up.log", DEMO_SPEED)
        try:
            wait_ready(logs / "up.log")
            # The demo registers its partners, which the walk-through uses, before it streams
            # and records its progress; a reader sees that in `tandem status`, as the README says.
            wait_for(lambda: (data_dir / DEMO_FILE).exists(), 60, "the demo streaming")
            yield Stack(data_dir, f"http://127.0.0.1:{port}")
        finally:
            if process.poll() is None:
                stop(process)
            EmbeddedPostgres(data_dir / "pg").stop()


def test_every_mark_is_a_walkthrough_block() -> None:
    readme = (ROOT / "README.md").read_text()
    blocks = walkthrough(readme)
    # A mistyped mark would leave its block out of the walk-through without a word.
    marks = re.findall(r"^<!-- walkthrough", readme, re.MULTILINE)
    assert len(marks) == len(BLOCK.findall(readme))
    assert len(blocks) >= 8
    assert any(block.python for block in blocks)
    assert all(README_GATEWAY not in (block.shown or "") for block in blocks)


def test_the_output_comparison_can_fail() -> None:
    assert matches("row 3: 'ASAP' is not …\nok", "row 3: 'ASAP' is not one of them\nok")
    assert not matches("row 3: 'ASAP' is not …\nok", "row 4: 'ASAP' is not one of them\nok")
    assert not matches("accepted 18", "accepted 18\nand more")
    assert matches("token tdm_3f9c_Xq…", "token tdm_91ab2c_QQ5x-y")


def test_the_readme_walkthrough_runs_as_written(stack: Stack) -> None:
    blocks = walkthrough((ROOT / "README.md").read_text())
    python = Path(sys.executable).parent
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "KAFKA_BOOTSTRAP", "TANDEM_GATEWAY_URL", "TANDEM_TOKEN")
    }
    env |= {
        "PATH": f"{python}{os.pathsep}{os.environ['PATH']}",
        "TANDEM_DATA_DIR": str(stack.data_dir),
        "PYTHONUNBUFFERED": "1",  # stdout and stderr interleaved as on a terminal
    }
    ran = subprocess.run(
        ["bash", "-c", script(blocks, stack.gateway)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert ran.returncode == 0, ran.stdout + ran.stderr
    for block, output in zip(blocks, printed(ran.stdout, len(blocks)), strict=True):
        if block.shown is not None:
            shown_and_printed = f"{block.body}shows\n{block.shown}printed\n{output}"
            assert matches(block.shown, output), shown_and_printed
