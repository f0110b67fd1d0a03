"""The demo's progress file: about once a second, always at the end, never in the demo's way."""

from __future__ import annotations

from pathlib import Path

from services.simulate.demo_progress import DEMO_FILE, DemoProgress, read_progress


def test_progress_is_written_about_once_a_second_and_at_the_end(tmp_path: Path) -> None:
    assert read_progress(tmp_path) is None
    progress = DemoProgress(tmp_path / DEMO_FILE, "kingston-2020-demo", 10)
    progress.sent(1)
    first = read_progress(tmp_path)
    assert first is not None
    assert (first["incident"], first["sent"], first["total"], first["finished"]) == (
        "kingston-2020-demo",
        1,
        10,
        False,
    )
    progress.sent(5)  # the same second: not written again
    assert read_progress(tmp_path) == first
    progress.sent(10)
    last = read_progress(tmp_path)
    assert last is not None and last["sent"] == 10 and last["finished"] is True
    assert (tmp_path / DEMO_FILE).stat().st_mode & 0o777 == 0o600


def test_a_progress_file_that_cannot_be_written_stops_nothing(tmp_path: Path) -> None:
    DemoProgress(tmp_path / "gone" / DEMO_FILE, "kingston-2020-demo", 10).sent(10)
    assert not (tmp_path / "gone").exists()
