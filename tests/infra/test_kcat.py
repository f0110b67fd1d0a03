"""`python -m infra.kcat` without kcat installed says what to install, without a traceback."""

from __future__ import annotations

import os
import subprocess
import sys


def test_without_kcat_it_says_what_to_install() -> None:
    env = {**os.environ, "PATH": "/nonexistent"}
    ran = subprocess.run(
        [sys.executable, "-m", "infra.kcat", "-L"], capture_output=True, text=True, env=env
    )
    assert ran.returncode == 1 and ran.stdout == ""
    assert ran.stderr.startswith("infra.kcat: kcat is not installed")
    assert "apt install kcat" in ran.stderr and "brew install kcat" in ran.stderr
    assert "Traceback" not in ran.stderr and ran.stderr.count("\n") == 1
