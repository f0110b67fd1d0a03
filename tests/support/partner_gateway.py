"""A real gateway with the demo's council and foodbank registered, for publishing tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import psycopg

from services.settings import Settings
from services.store.partners import Partner, add_partner
from tests.support.paths import ROOT
from tests.support.servers import running_gateway

COUNCIL = "rbk-council"
FOODBANK = "kingston-foodbank"
EXAMPLES = ROOT / "examples" / "publishing"


@dataclass(frozen=True)
class PartnerGateway:
    url: str
    tokens: dict[str, str]
    database_url: str

    def stored(self) -> list[dict[str, Any]]:
        """Every event in the store, as it was accepted, in order."""
        with psycopg.connect(self.database_url) as conn:
            rows = conn.execute("SELECT body FROM events ORDER BY seq").fetchall()
        return [orjson.loads(str(body)) for (body,) in rows]

    def env(self, partner: str, data_dir: Path) -> dict[str, str]:
        """What `tandem publish` needs to publish as `partner` (and no running stack)."""
        return {
            "TANDEM_GATEWAY_URL": self.url,
            "TANDEM_TOKEN": self.tokens[partner],
            "TANDEM_DATA_DIR": str(data_dir),
            "DATABASE_URL": "",
        }


@contextmanager
def partner_gateway(settings: Settings) -> Iterator[PartnerGateway]:
    with psycopg.connect(settings.require_database_url()) as conn:
        tokens = {
            partner: add_partner(conn, Partner(partner, partner)) for partner in (COUNCIL, FOODBANK)
        }
    with running_gateway(settings) as url:
        yield PartnerGateway(url, tokens, str(settings.database_url))
