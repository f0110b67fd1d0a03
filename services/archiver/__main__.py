"""The archiver service: `python -m services.archiver`."""

from infra.topics import ACCEPTED
from services.archiver.archive import write_archive
from services.batch_consumer import serve

if __name__ == "__main__":
    serve("archiver", ACCEPTED, write_archive)
