"""The archiver service: `python -m services.archiver`."""

from services.archiver.archive import write_archive
from services.streaming.kafka_batches import serve
from services.streaming.topics import ACCEPTED

if __name__ == "__main__":
    serve("archiver", ACCEPTED, write_archive)
