"""The inbound service: `python -m services.inbound`."""

from infra.topics import INBOUND
from services.batch_consumer import serve
from services.inbound.writer import InboundWriter, record_unreadable
from services.settings import Settings
from services.verified_tokens import RevocationListener

if __name__ == "__main__":
    writer = InboundWriter()
    RevocationListener(Settings().require_database_url(), writer.verified).start()
    serve("inbound", INBOUND, writer, relayed=False, unreadable=record_unreadable)
