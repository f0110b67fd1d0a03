"""The inbound service: `python -m services.inbound`."""

from services.inbound.writer import InboundWriter, record_unreadable
from services.settings import Settings
from services.store.verified_tokens import RevocationListener
from services.streaming.kafka_batches import serve
from services.streaming.topics import INBOUND

if __name__ == "__main__":
    writer = InboundWriter()
    RevocationListener(Settings().require_database_url(), writer.verified).start()
    serve("inbound", INBOUND, writer, relayed=False, unreadable=record_unreadable)
