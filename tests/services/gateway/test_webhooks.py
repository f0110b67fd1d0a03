"""`/v1/webhooks` over real HTTP: a partner makes, sees and removes only its own webhooks, with
its own token; the secret is shown once; refused URLs (SSRF) and types are a 422."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from services.settings import Settings
from tests.support.gateway_http import Gateway, gateway_for
from tests.support.webhooks import local_settings

PUBLIC = "https://93.184.215.14/tandem/hook"


@pytest.fixture
def local_gateway(settings: Settings) -> Iterator[Gateway]:
    with gateway_for(local_settings(settings)) as running:
        yield running


def call(
    gateway: Gateway, method: str, path: str = "", token: str | None = None, **kw: Any
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token or gateway.token}"}
    return httpx.request(
        method, f"{gateway.url}/v1/webhooks{path}", headers=headers, timeout=10, **kw
    )


def test_a_partner_sees_and_removes_only_its_own_webhooks(gateway: Gateway) -> None:
    made = call(gateway, "POST", json={"url": PUBLIC, "types": ["resilience.request.raised.v1"]})
    assert made.status_code == 201, made.text
    secret, hook = made.json()["secret"], made.json()["webhook"]
    assert secret.startswith("whsec_") and len(secret) == 6 + 44
    assert (hook["partner"], hook["url"], hook["status"]) == (
        "kingston-foodbank",
        PUBLIC,
        "delivering",
    )
    assert hook["types"] == ["resilience.request.raised.v1"] and hook["cursor"] == "0"

    listed = call(gateway, "GET").json()["webhooks"]
    assert [h["id"] for h in listed] == [hook["id"]]
    assert secret not in call(gateway, "GET").text  # shown once, at creation
    # The council's token sees none of the foodbank's, and cannot remove it.
    assert call(gateway, "GET", token=gateway.other_token).json() == {"webhooks": []}
    assert call(gateway, "DELETE", f"/{hook['id']}", token=gateway.other_token).status_code == 404
    assert [h["id"] for h in call(gateway, "GET").json()["webhooks"]] == [hook["id"]]

    assert call(gateway, "DELETE", f"/{hook['id']}").status_code == 204
    assert call(gateway, "GET").json() == {"webhooks": []}
    assert call(gateway, "DELETE", f"/{hook['id']}").status_code == 404
    assert call(gateway, "DELETE", "/wh-' OR 1=1").status_code == 422  # not a webhook id


def test_a_webhook_needs_a_token(gateway: Gateway) -> None:
    assert httpx.get(f"{gateway.url}/v1/webhooks", timeout=10).status_code == 401
    answer = call(gateway, "POST", token="tdm_000000000000_nope", json={"url": PUBLIC})
    assert answer.status_code == 401


REFUSED = [
    ("http://93.184.215.14/hook", "must be https"),
    ("https://10.0.0.7/hook", "private or reserved"),
    ("https://169.254.169.254/latest/meta-data", "private or reserved"),
    ("https://[::1]/hook", "private or reserved"),
    ("http://127.0.0.1:9/hook", "must be https"),  # loopback is not allowed here
    ("https://user:pw@93.184.215.14/", "credentials"),
    ("file:///etc/passwd", "absolute"),
]


def test_urls_tandem_will_not_post_to_are_refused(gateway: Gateway) -> None:
    for url, reason in REFUSED:  # one gateway for all: each start takes seconds
        answer = call(gateway, "POST", json={"url": url})
        assert answer.status_code == 422 and reason in answer.json()["error"], (url, answer.text)
    assert call(gateway, "GET").json() == {"webhooks": []}


def test_unknown_types_are_refused(gateway: Gateway) -> None:
    answer = call(gateway, "POST", json={"url": PUBLIC, "types": ["resilience.nothing.v1"]})
    assert answer.status_code == 422 and "resilience.nothing.v1" in answer.json()["error"]


def test_loopback_over_http_when_the_setting_allows_and_from_a_cursor(
    local_gateway: Gateway,
) -> None:
    made = call(local_gateway, "POST", json={"url": "http://127.0.0.1:9/hook", "from_cursor": 42})
    assert made.status_code == 201, made.text
    assert made.json()["webhook"]["cursor"] == "42"
    private = call(local_gateway, "POST", json={"url": "http://10.0.0.7/hook"})
    assert private.status_code == 422


def test_a_partner_has_at_most_ten_webhooks(gateway: Gateway) -> None:
    for n in range(10):
        assert call(gateway, "POST", json={"url": f"{PUBLIC}/{n}"}).status_code == 201
    refused = call(gateway, "POST", json={"url": PUBLIC})
    assert refused.status_code == 409 and "remove one first" in refused.json()["error"]
    # The other partner's allowance is its own.
    assert call(gateway, "POST", token=gateway.other_token, json={"url": PUBLIC}).status_code == 201
