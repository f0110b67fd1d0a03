"""The archiver service: `python -m services.archiver`."""

from services.archiver.archive import write_archive
from services.runtime import start_service
from services.streaming.kafka_transport import serve
from services.streaming.topics import ACCEPTED

if __name__ == "__main__":
    settings, stop = start_service("archiver")
    serve(settings, stop, "archiver", ACCEPTED, write_archive)
