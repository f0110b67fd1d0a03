"""The inbound service: `python -m services.inbound`."""

from infra.topics import INBOUND
from services.batch_consumer import serve
from services.inbound.writer import InboundWriter, record_unreadable

if __name__ == "__main__":
    serve("inbound", INBOUND, InboundWriter(), relayed=False, unreadable=record_unreadable)
