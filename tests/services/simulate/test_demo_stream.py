"""Rotating a demo partner's token never stops the demo: the demo issues itself a new token and
goes on. Revoking every token of a demo partner stops it, saying why. At the end the demo says
how many events it streamed and how long it took."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from services.geography.boundaries import parse_areas
from services.geography.store import load_areas, versions
from services.settings import Settings
from services.simulate import build
from services.simulate.demo_stream import (
    DEMO_SCENARIO,
    DemoPublishers,
    DemoStopped,
    demo_runner,
    in_turn,
    partner_tokens,
    stream,
)
from services.simulate.scenario import Scenario
from services.store.partners import revoke_tokens, rotate_token, tokens_in_use
from tests.support.area_files import WARDS
from tests.support.servers import running_gateway, wait_for

FOODBANK = "kingston-foodbank"


@pytest.fixture
def demo_settings(database_url: str, tmp_path: Path) -> Iterator[Settings]:
    settings = Settings(TANDEM_DATA_DIR=tmp_path / "data", DATABASE_URL=database_url)
    with running_gateway(settings) as url:
        yield settings.model_copy(update={"gateway_url": url})


def stored(settings: Settings, partner: str) -> int:
    with psycopg.connect(settings.require_database_url()) as conn:
        row = conn.execute("SELECT count(*) FROM events WHERE partner = %s", (partner,)).fetchone()
    assert row is not None
    return int(row[0])


def refused(settings: Settings, token: str) -> bool:
    headers = {"Authorization": f"Bearer {token}"}
    return httpx.get(f"{settings.gateway_url}/v1/feed", headers=headers).status_code == 401


def test_a_rotation_does_not_stop_the_demo_but_a_revocation_does(
    demo_settings: Settings,
) -> None:
    scenario = build(DEMO_SCENARIO)
    first, second, third = (scenario.events[n : n + 300] for n in (0, 300, 600))
    tokens = partner_tokens(demo_settings, scenario)
    publishers = DemoPublishers(demo_settings, tokens)
    for partner, batch in in_turn(first):
        publishers.publish(partner, batch)
    before = stored(demo_settings, FOODBANK)
    assert before == sum(e["partner"] == FOODBANK for e in first) > 0

    with psycopg.connect(demo_settings.require_database_url()) as conn:
        users = rotate_token(conn, FOODBANK)  # what a user following the README does
    wait_for(lambda: refused(demo_settings, tokens[FOODBANK]), what="the old token refused")
    for partner, batch in in_turn(second):
        publishers.publish(partner, batch)
    assert stored(demo_settings, FOODBANK) == before + sum(e["partner"] == FOODBANK for e in second)
    assert not refused(demo_settings, users)  # the user's new token still works
    with psycopg.connect(demo_settings.require_database_url()) as conn:
        assert tokens_in_use(conn, FOODBANK) == 2  # the user's and the demo's own

        revoke_tokens(conn, FOODBANK)
    wait_for(lambda: refused(demo_settings, users), what="the revoked token refused")
    with pytest.raises(DemoStopped, match=f"every token of {FOODBANK} was revoked"):
        for partner, batch in in_turn(third):
            publishers.publish(partner, batch)
    publishers.close()


def test_the_demo_says_when_it_has_streamed_everything(demo_settings: Settings) -> None:
    whole = build(DEMO_SCENARIO)
    scenario = Scenario(whole.incident, whole.name, whole.partners, whole.events[:200])
    said: list[str] = []
    stream(demo_settings, scenario, 10**9, threading.Event(), said.append)
    assert said == [f"Demo incident '{whole.incident}' streamed: 200 events in 0 min."]
    assert sum(stored(demo_settings, p.id) for p in whole.partners) == 200


def test_the_demo_loads_its_illustrative_wards_unless_areas_are_loaded(
    new_database: Callable[[], str], tmp_path: Path
) -> None:
    stopped = threading.Event()
    stopped.set()  # the demo sets itself up, then stops before streaming anything
    said: list[str] = []
    fresh, deployed = new_database(), new_database()
    with psycopg.connect(deployed) as conn:
        load_areas(conn, parse_areas(WARDS, "our-wards.geojson"), "gis-team")
    for url in (fresh, deployed):
        settings = Settings(TANDEM_DATA_DIR=tmp_path / "data", DATABASE_URL=url)
        demo_runner(3600, said.append)(settings, stopped)
    with psycopg.connect(fresh) as conn:
        assert [(v.source, v.loaded_by, v.areas) for v in versions(conn)] == [
            (
                "kingston-areas.geojson: illustrative wards made for the demo, not the ward map",
                "tandem up (the demo)",
                16,
            )
        ]
    with psycopg.connect(deployed) as conn:
        assert [v.source for v in versions(conn)] == ["our-wards.geojson"]
    assert not any(line.startswith("Demo stopped") for line in said), said
