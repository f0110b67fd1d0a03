"""Fuzzing the gateway from its own OpenAPI description (schemathesis): bodies built from the
event contract's JSON Schema (positive) and bodies, media types and headers that break it
(negative), over real HTTP against real PostgreSQL. No answer may be a 5xx, every answer must
be one the description promises, in the shape it promises, and whatever breaks the schema must
be refused. (schemathesis' strategies are used with hypothesis directly: its pytest plugin does
not run under pytest 9.)"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.support.gateway_http import Gateway

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


def send(http: httpx.Client, request: dict[str, Any]) -> httpx.Response:
    """A request as schemathesis describes it (in `requests`' words), sent with httpx."""
    body = request.get("data")
    return http.request(
        request["method"],
        request["url"],
        params=request.get("params"),
        headers=request.get("headers"),
        json=request.get("json"),
        content=body if isinstance(body, bytes | str) else None,
        data=body if isinstance(body, dict) else None,
    )


@pytest.mark.parametrize("mode", ["positive", "negative"])
def test_publish_answers_as_described(gateway: Gateway, mode: str) -> None:
    api = schemathesis.openapi.from_url(f"{gateway.url}/openapi.json")
    publish = api["/v1/events"]["POST"]
    auth = {"Authorization": f"Bearer {gateway.token}"}

    @settings(
        max_examples=100,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    @given(case=publish.as_strategy(schemathesis.GenerationMode(mode)))
    def call(case: schemathesis.Case) -> None:
        response = send(http, case.as_transport_kwargs(base_url=gateway.url, headers=auth))
        case.validate_response(response, checks=CHECKS, headers=auth)

    with httpx.Client(timeout=30) as http:
        call()
    gateway.assert_serving()


NO_LONG_POLL = {"/v1/feed": {"wait": 0}}  # an empty feed would hold each answer for up to 30 s
# Making a webhook resolves the host of its URL: the fuzzer's made-up hosts would go to DNS, off
# this machine (tests/services/gateway/test_webhooks.py tries it with addresses instead).
NOT_FUZZED = {("/v1/events", "POST"), ("/v1/webhooks", "POST")}


def test_no_operation_answers_a_server_error(gateway: Gateway) -> None:
    """Every other operation (figures, feed, exercise control, health) with what its
    description allows and what it does not: never a 5xx."""
    api = schemathesis.openapi.from_url(f"{gateway.url}/openapi.json")
    auth = {"Authorization": f"Bearer {gateway.token}"}
    operations = [result.ok() for result in api.get_all_operations()]
    cases = st.one_of(
        operation.as_strategy(schemathesis.GenerationMode(mode), query=NO_LONG_POLL.get(path))
        for operation in operations
        if (path := operation.path, operation.method.upper()) not in NOT_FUZZED
        for mode in (
            ["positive", "negative"]
            if operation.path_parameters or operation.query
            else ["positive"]
        )
    )

    @settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
    @given(case=cases)
    def call(case: schemathesis.Case) -> None:
        response = send(http, case.as_transport_kwargs(base_url=gateway.url, headers=auth))
        case.validate_response(response, checks=[not_a_server_error], headers=auth)

    with httpx.Client(timeout=30) as http:
        call()
