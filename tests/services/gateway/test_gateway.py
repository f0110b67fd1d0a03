"""The gateway over real HTTP, against real PostgreSQL."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import psycopg
import pytest

from services.settings import Settings
from tests.support.events_store import insert_events, sample_event
from tests.support.gateway_http import BATCH, SINGLE, Gateway, gateway_for
from tests.support.servers import wait_for


def test_batch_is_accepted_and_durable(gateway: Gateway) -> None:
    events = [sample_event(n) for n in range(3)]
    response = gateway.post(events)
    assert response.status_code == 202
    assert response.json() == {"accepted": 3, "duplicates": 0}
    assert gateway.stored_ids() == ["e-0", "e-1", "e-2"]


def test_single_structured_event(gateway: Gateway) -> None:
    response = gateway.post(sample_event(7), media_type=SINGLE)
    assert (response.status_code, response.json()) == (202, {"accepted": 1, "duplicates": 0})


def test_plain_json_array_and_object(gateway: Gateway) -> None:
    assert gateway.post([sample_event(1)], media_type="application/json").status_code == 202
    assert gateway.post(sample_event(2), media_type="application/json").status_code == 202
    assert gateway.stored_ids() == ["e-1", "e-2"]


def test_binary_mode(gateway: Gateway) -> None:
    event = sample_event(5)
    headers = {f"ce-{k}": str(v) for k, v in event.items() if k != "data"}
    response = gateway.post(event["data"], media_type="application/json", headers=headers)
    assert response.status_code == 202, response.text
    assert gateway.stored_ids() == ["e-5"]


def test_duplicates_are_counted_not_stored_twice(gateway: Gateway) -> None:
    assert gateway.post([sample_event(1), sample_event(2)]).json() == {
        "accepted": 2,
        "duplicates": 0,
    }
    again = gateway.post([sample_event(2), sample_event(3), sample_event(3)])
    assert again.json() == {"accepted": 1, "duplicates": 2}
    assert gateway.stored_ids() == ["e-1", "e-2", "e-3"]


def test_a_batch_with_one_bad_event_applies_nothing(gateway: Gateway) -> None:
    bad = sample_event(1)
    bad["data"] = {**bad["data"], "quantity": -4, "colour": "red"}  # type: ignore[dict-item]
    response = gateway.post([sample_event(0), bad, {"id": "x"}])
    assert response.status_code == 422
    problems = response.json()["problems"]
    fields = {(p["index"], p["field"]) for p in problems}
    assert (1, "data.quantity") in fields
    assert (1, "data.colour") in fields
    assert any(p["index"] == 2 and p["id"] == "x" for p in problems)
    assert all(p["reason"] for p in problems)
    assert gateway.stored_ids() == []
    [(status, recorded)] = gateway.dead_letters()
    assert status == 422 and len(recorded) == len(problems)


def test_malformed_json_is_refused_and_kept(gateway: Gateway) -> None:
    response = gateway.post(b'[{"id": ', media_type=BATCH)
    assert response.status_code == 422
    assert response.json()["problems"][0]["reason"]
    assert [s for s, _ in gateway.dead_letters()] == [422]


@pytest.mark.parametrize("header", [None, "Bearer nope", "Bearer tdm_abc_def", "Basic x"])
def test_a_valid_token_is_required(gateway: Gateway, header: str | None) -> None:
    headers = {"Content-Type": BATCH} | ({"Authorization": header} if header else {})
    response = httpx.post(f"{gateway.url}/v1/events", content=b"[]", headers=headers)
    assert response.status_code == 401
    assert gateway.stored_ids() == []


def test_no_partner_can_publish_as_another(gateway: Gateway) -> None:
    response = gateway.post([sample_event(1)], token=gateway.other_token)
    assert response.status_code == 403
    assert response.json()["problems"][0]["field"] == "partner"
    assert gateway.stored_ids() == []
    assert [s for s, _ in gateway.dead_letters()] == [403]


def test_body_over_the_limit(settings: Settings) -> None:
    small = settings.model_copy(update={"max_body_bytes": 2048})
    with gateway_for(small) as gateway:
        response = gateway.post([sample_event(n) for n in range(40)])
        assert response.status_code == 413
        assert gateway.stored_ids() == []
        assert [status for status, _ in gateway.dead_letters()] == [413]


def accepted_metric(gateway: Gateway) -> float:
    line = 'tandem_events_accepted_total{partner="kingston-foodbank"} '
    text = httpx.get(f"{gateway.url}/metrics").text
    found = [float(row.removeprefix(line)) for row in text.splitlines() if row.startswith(line)]
    return found[0] if found else 0.0


def test_health_readiness_metrics_and_docs(gateway: Gateway) -> None:
    assert httpx.get(f"{gateway.url}/healthz").json() == {"status": "ok"}
    ready = httpx.get(f"{gateway.url}/readyz")
    assert ready.status_code == 200 and ready.json()["checks"] == {"database": True, "broker": True}
    before = accepted_metric(gateway)
    gateway.post([sample_event(1), sample_event(2)])
    assert accepted_metric(gateway) == before + 2
    assert httpx.get(f"{gateway.url}/docs").status_code == 200
    assert "/v1/events" in httpx.get(f"{gateway.url}/openapi.json").json()["paths"]


def metric(gateway: Gateway, name: str) -> float:
    rows = httpx.get(f"{gateway.url}/metrics").text.splitlines()
    return next(float(row.split()[1]) for row in rows if row.startswith(f"{name} "))


def test_readiness_and_metrics_say_when_the_figures_are_behind_or_repairing(
    gateway: Gateway,
) -> None:
    with psycopg.connect(gateway.database_url, autocommit=True) as conn:
        ready = httpx.get(f"{gateway.url}/readyz").json()
        assert ready["ready"] and ready["status"] == "degraded"  # no reconciler has reported
        assert ready["figures"]["problems"] == [
            "completeness unknown: the reconciler (in the relay) has not reported"
        ]
        conn.execute("UPDATE completeness SET checked_at = now(), uncounted = 0")
        assert httpx.get(f"{gateway.url}/readyz").json()["status"] == "ready"
        conn.execute(
            "UPDATE completeness SET uncounted = 1200, repairing = 7, repairs_total = 40,"
            " unconfirmed_total = 3, oldest_uncounted_at = now() - interval '95 seconds'"
        )
        answer = httpx.get(f"{gateway.url}/readyz")
    assert answer.status_code == 200  # degraded, not failed: the gateway still takes events
    figures = answer.json()["figures"]
    assert answer.json()["status"] == "degraded"
    assert figures["uncounted"] == 1200 and figures["repairing"] == 7
    assert [p.split(":")[0] for p in figures["problems"]] == ["figures behind", "repairing"]
    assert metric(gateway, "tandem_events_uncounted") == 1200
    assert 95 <= metric(gateway, "tandem_events_uncounted_oldest_seconds") < 120
    assert metric(gateway, "tandem_events_repairing") == 7
    assert metric(gateway, "tandem_events_republished_total") == 40
    assert metric(gateway, "tandem_relay_resent_total") == 3


def test_readiness_and_metrics_count_what_a_stopped_reconciler_cannot(gateway: Gateway) -> None:
    """The relay, and the reconciler with it, stopped five minutes ago after a round that found
    everything complete; three events stored since, 95 s ago, reach no consumer."""
    with psycopg.connect(gateway.database_url, autocommit=True) as conn:
        with conn.transaction():
            insert_events(conn, [sample_event(n) for n in range(3)])
        conn.execute("UPDATE events SET received_at = now() - interval '95 seconds'")
        conn.execute("UPDATE completeness SET checked_at = now() - interval '5 minutes'")
        answer = httpx.get(f"{gateway.url}/readyz")
    assert answer.status_code == 200 and answer.json()["status"] == "degraded"
    figures = answer.json()["figures"]
    assert [p.split(":")[0] for p in figures["problems"]] == [
        "completeness unknown",
        "figures behind",
    ]
    assert figures["uncounted"] == 3 and 95 <= figures["oldest_uncounted_seconds"] < 120
    assert metric(gateway, "tandem_events_uncounted") == 3
    assert 95 <= metric(gateway, "tandem_events_uncounted_oldest_seconds") < 120


def test_a_partner_over_its_rate_limit_gets_429_with_retry_after_others_do_not(
    settings: Settings,
) -> None:
    limited = settings.model_copy(
        update={"partner_events_per_second": 1.0, "partner_burst_events": 3.0}
    )
    with gateway_for(limited) as gateway:
        assert gateway.post([sample_event(n) for n in range(3)]).status_code == 202
        refused = gateway.post([sample_event(n) for n in range(3, 5)])
        assert refused.status_code == 429
        assert int(refused.headers["Retry-After"]) >= 1
        council_event = {
            **sample_event(9),
            "partner": "rbk-council",
            "source": "/orgs/rbk-council/stock-sheet",
            "subject": "council-hub",  # its own hub: hub-0 is the foodbank's
            "data": {**sample_event(9)["data"], "hub_id": "council-hub"},  # type: ignore[dict-item]
        }
        assert gateway.post([council_event], token=gateway.other_token).status_code == 202
        assert gateway.stored_ids() == ["e-0", "e-1", "e-2", "e-9"]


def test_a_full_store_sheds_requests_before_checking_their_events(settings: Settings) -> None:
    with gateway_for(settings.model_copy(update={"max_waiting_events": 2})) as gateway:
        with ThreadPoolExecutor(1) as background, psycopg.connect(gateway.database_url) as conn:
            conn.execute("LOCK TABLE events IN EXCLUSIVE MODE")  # the store cannot commit
            held = background.submit(gateway.post, [sample_event(1), sample_event(2)])
            # Not even parsed once the store is full: garbage gets 429, not 422.
            wait_for(lambda: gateway.post(b"not json").status_code == 429, what="a 429")
            shed = gateway.post([sample_event(3)])
            assert shed.status_code == 429 and int(shed.headers["Retry-After"]) >= 1
            assert "overloaded" in shed.json()["error"]
            conn.rollback()
            assert held.result(timeout=10).status_code == 202
        assert gateway.stored_ids() == ["e-1", "e-2"]
        assert {status for status, _ in gateway.dead_letters()} <= {422}
