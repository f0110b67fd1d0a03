"""`tandem migrate` as the Kubernetes setup Job runs it, `--wait` as each service's pod waits
for it, and secrets read from files (TANDEM_SECRETS_DIR) as the pods mount them."""

from __future__ import annotations

from pathlib import Path

from infra.migrate import migration_files
from tests.support.servers import run_tandem


def test_migrate_applies_what_is_missing_and_wait_waits_for_it(
    unmigrated: str, tmp_path: Path
) -> None:
    env = {"DATABASE_URL": unmigrated, "TANDEM_DATA_DIR": str(tmp_path)}
    waited = run_tandem(env, "migrate", "--wait", "--timeout", "1")
    assert waited.returncode == 1
    assert "the database still lacks 0001_event_store" in waited.stderr

    applied = run_tandem(env, "migrate")
    assert applied.returncode == 0, applied.stderr
    versions = [version for version, _ in migration_files()]
    assert applied.stdout.strip() == f"applied {', '.join(versions)}"
    assert run_tandem(env, "migrate").stdout.strip() == "nothing to apply"
    ready = run_tandem(env, "migrate", "--wait", "--timeout", "1")
    assert ready.returncode == 0 and ready.stdout.strip() == "the database has every migration"


def test_secrets_are_read_from_files(unmigrated: str, tmp_path: Path) -> None:
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "DATABASE_URL").write_text(unmigrated)
    env = {"DATABASE_URL": "", "TANDEM_SECRETS_DIR": str(secrets), "TANDEM_DATA_DIR": str(tmp_path)}
    applied = run_tandem(env, "migrate")
    assert applied.returncode == 0, applied.stderr
    # The environment wins over the files.
    (secrets / "DATABASE_URL").write_text("postgresql://nobody@127.0.0.1:1/none")
    again = run_tandem({**env, "DATABASE_URL": unmigrated}, "migrate")
    assert again.stdout.strip() == "nothing to apply"


def test_migrate_without_a_database_says_so(tmp_path: Path) -> None:
    failed = run_tandem({"DATABASE_URL": "", "TANDEM_DATA_DIR": str(tmp_path)}, "migrate")
    assert failed.returncode == 1
    assert failed.stderr.startswith("tandem: no database:")
