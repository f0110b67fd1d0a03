"""kcat against the embedded broker: `python -m infra.kcat ARGS…` runs `kcat ARGS…`.

librdkafka before 2.2 skips tagged protocol fields wrongly (librdkafka pull request 4278), so
it cannot read the ApiVersions answer of the embedded broker (tansu), which has some; Debian
12's kcat links librdkafka 2.0.2. The confluent-kafka wheel, a development dependency, ships a
recent librdkafka: kcat is run with that one when it is installed, and as it is otherwise.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from pathlib import Path

LIBRARY = "librdkafka.so.1"


def wheel_librdkafka() -> Path | None:
    """The librdkafka that the confluent-kafka wheel ships, if it is installed."""
    spec = importlib.util.find_spec("confluent_kafka")
    if spec is None or spec.origin is None:
        return None
    bundled = sorted(Path(spec.origin).parent.parent.glob("confluent_kafka.libs/librdkafka-*.so*"))
    return bundled[0] if bundled else None


def kcat_environment() -> dict[str, str]:
    """This process's environment, with the wheel's librdkafka first on the library path."""
    env = dict(os.environ)
    library = wheel_librdkafka()
    if library is None:
        return env
    # The wheel renames its copy; kcat asks for it by its usual name.
    directory = Path(sys.prefix) / "tandem-kcat"
    directory.mkdir(exist_ok=True)
    link = directory / LIBRARY
    if not link.exists() or link.resolve() != library.resolve():
        link.unlink(missing_ok=True)
        link.symlink_to(library)
    env["LD_LIBRARY_PATH"] = os.pathsep.join(
        part for part in (str(directory), env.get("LD_LIBRARY_PATH", "")) if part
    )
    return env


NOT_INSTALLED = (
    "kcat is not installed (nothing called kcat on PATH). Install it with your system's"
    " package manager: `sudo apt install kcat` (Debian, Ubuntu), `brew install kcat` (macOS),"
    " `sudo dnf install kcat` (Fedora); then run `python -m infra.kcat` again."
)


def main() -> None:
    if shutil.which("kcat") is None:
        sys.exit(f"infra.kcat: {NOT_INSTALLED}")
    os.execvpe("kcat", ["kcat", *sys.argv[1:]], kcat_environment())


if __name__ == "__main__":
    main()
