"""The README's screenshots of the situation board and of its map, on the demo incident:

    .venv/bin/python -m tests.support.board_screenshot docs/board.png docs/board-map.png

An embedded PostgreSQL with the demo incident and the example drill (as the dashboards'
previews have them) and its partners, the gateway on loopback, and the board opened in headless
Chromium — which must find no WCAG 2.2 A/AA violation on it.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import psycopg
from PIL import Image

from dashboards.previews.render import SCENARIO, demo_database
from services.settings import Settings
from services.simulate import build
from services.store.partners import Partner, add_partner
from tests.support.browser import axe_violations, chromium_page
from tests.support.servers import running_gateway


def main(out: Path, map_out: Path) -> None:
    scenario = build(SCENARIO)
    with demo_database() as url, tempfile.TemporaryDirectory() as data:
        with psycopg.connect(url) as conn:
            for partner in scenario.partners:
                add_partner(conn, Partner(partner.id, partner.name))
            conn.commit()
        settings = Settings(TANDEM_DATA_DIR=Path(data), DATABASE_URL=url)
        with running_gateway(settings) as base, chromium_page() as (page, errors):
            page.set_viewport_size({"width": 1600, "height": 1000})
            page.goto(base)
            assert axe_violations(page) == [] and errors == []
            page.screenshot(path=str(out), full_page=True)
            page.locator(".map").first.screenshot(path=str(map_out))
    # A palette of 256 colours loses nothing a flat page has, at a fraction of the size.
    for path in (out, map_out):
        Image.open(path).convert("RGB").quantize(256).save(path, optimize=True)


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
