"""The drop folder: `tandem publish --watch DIR`, and the folder's own rules."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import threading
from pathlib import Path

from services.publishing.folder import DropFolder, Handled, Verdict, watch
from tests.support.partner_gateway import COUNCIL, EXAMPLES, PartnerGateway
from tests.support.servers import TANDEM, wait_for


def test_dropped_files_are_published_and_filed_away(
    gateway: PartnerGateway, tmp_path: Path
) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    good = EXAMPLES / "council-cases.csv"
    shutil.copy(good, drop / "monday.csv")
    bad_lines = good.read_text().splitlines()
    bad_lines[2] = bad_lines[2].replace("Prescription collection", "Prescriptions")
    (drop / "tuesday.csv").write_text("\n".join(bad_lines) + "\n")
    (drop / "~$monday.xlsx").write_text("Excel's lock file")
    env = {**os.environ, **gateway.env(COUNCIL, tmp_path)}
    del env["DATABASE_URL"]
    mapping = str(EXAMPLES / "council-cases.mapping.yaml")
    command = [TANDEM, "publish", "--watch", str(drop), "--mapping", mapping, "--interval", "0.1"]
    with subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as watcher:
        try:
            wait_for(lambda: (drop / "done" / "monday.csv").exists(), what="monday filed")
            wait_for(lambda: (drop / "failed" / "tuesday.csv").exists(), what="tuesday filed")
            assert len(gateway.stored()) == 18
            # a restart, or the same export dropped again: the same events, all duplicates
            shutil.copy(good, drop / "monday.csv")
            wait_for(lambda: (drop / "done" / "monday.2.csv").exists(), what="monday again")
        finally:
            watcher.send_signal(signal.SIGTERM)
            out, _ = watcher.communicate(timeout=10)
    assert watcher.returncode == 0
    assert out.splitlines() == [
        "monday.csv: 18 events from 12 rows: 18 accepted, 0 duplicates",
        "monday.csv: 18 events from 12 rows: 0 accepted, 18 duplicates",
    ]
    assert len(gateway.stored()) == 18
    errors = (drop / "failed" / "tuesday.csv.errors.txt").read_text().splitlines()
    assert errors[0].startswith("row 3, column \"Need Type\" (data.need): 'Prescriptions'")
    assert errors[1:] == ["nothing was sent"]
    assert sorted(p.name for p in drop.iterdir()) == ["done", "failed", "~$monday.xlsx"]
    assert not (drop / "done" / "monday.csv.errors.txt").exists()


def test_a_file_is_taken_only_once_it_has_stopped_changing(tmp_path: Path) -> None:
    folder = DropFolder(tmp_path)
    growing = tmp_path / "export.csv"
    growing.write_text("a,b\n")
    (tmp_path / ".hidden.csv").write_text("a\n")
    (tmp_path / "notes.txt").write_text("not a publishable file")
    assert folder.settled() == []  # first look: not known to be still yet
    with growing.open("a") as more:
        more.write("1,2\n")
    assert folder.settled() == []  # it changed since
    assert folder.settled() == [growing]


def test_a_file_is_left_for_later_when_the_gateway_is_away(tmp_path: Path) -> None:
    (tmp_path / "export.csv").write_text("a\n1\n")
    tries: list[str] = []
    stop = threading.Event()

    def unreachable(path: Path) -> Handled:
        tries.append(path.name)
        if len(tries) == 3:
            stop.set()
        return Handled(Verdict.LATER, "cannot reach the gateway")

    watch(tmp_path, unreachable, stop, interval=0.01)
    assert tries == ["export.csv"] * 3
    assert (tmp_path / "export.csv").exists() and not any((tmp_path / "failed").iterdir())
