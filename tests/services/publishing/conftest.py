"""Publishing runs against a gateway that knows the partners of the example files."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from services.settings import Settings
from tests.support.partner_gateway import PartnerGateway, partner_gateway


@pytest.fixture
def gateway(settings: Settings) -> Iterator[PartnerGateway]:
    with partner_gateway(settings) as running:
        yield running
