"""The inbound service: `python -m services.inbound`."""

from services.inbound.writer import InboundWriter, record_unreadable
from services.runtime import start_service
from services.store.verified_tokens import RevocationListener
from services.streaming.kafka_transport import serve
from services.streaming.topics import INBOUND

if __name__ == "__main__":
    settings, stop = start_service("inbound")
    writer = InboundWriter()
    RevocationListener(settings.require_database_url(), writer.verified).start()
    serve(settings, stop, "inbound", INBOUND, writer, relayed=False, unreadable=record_unreadable)
