"""The archiver service: `python -m services.archiver`."""

from __future__ import annotations

from infra.topics import ACCEPTED
from services.archiver.archive import write_archive
from services.batch_consumer import BatchConsumer
from services.database import become_the_active_instance, connect
from services.runtime import start_service


def main() -> None:
    settings, stop = start_service("archiver")
    with connect(settings) as conn:
        become_the_active_instance(conn, "archiver")
        consumer = BatchConsumer(settings, conn, "archiver", ACCEPTED)
        try:
            consumer.run(write_archive, stop)
        finally:
            consumer.close()


if __name__ == "__main__":
    main()
