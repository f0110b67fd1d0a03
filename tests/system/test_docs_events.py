"""docs/events.md's examples, run against the real gateway: each `curl` gets the answer the page
prints, what it says is stored is, and the Python example publishes."""

from __future__ import annotations

import shlex
from itertools import pairwise
from typing import Any

import httpx
import orjson
import psycopg

from tests.support.gateway_http import Gateway
from tests.support.paths import ROOT

DOC = ROOT / "docs" / "events.md"
TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def blocks(language: str = "") -> list[str]:
    return [block.split("```")[0] for block in DOC.read_text().split(f"```{language}\n")[1:]]


def curl_examples() -> list[tuple[dict[str, str], bytes, dict[str, Any]]]:
    """(headers, body, the answer printed) of every curl example."""
    examples = []
    for block in blocks():
        if not block.startswith("curl "):
            continue
        command, answer = block.replace("\\\n", " ").rstrip("\n").rsplit("\n", 1)
        words = shlex.split(command)
        pairs = [value.split(":", 1) for flag, value in pairwise(words) if flag == "-H"]
        headers = {name.strip(): value.strip() for name, value in pairs}
        body = words[words.index("-d") + 1].encode()
        examples.append((headers, body, orjson.loads(answer)))
    return examples


def stored(gateway: Gateway, event_id: str) -> dict[str, Any]:
    with psycopg.connect(gateway.database_url) as conn:
        row = conn.execute("SELECT body FROM events WHERE id = %s", (event_id,)).fetchone()
    assert row, event_id
    return dict(orjson.loads(row[0]))


def test_the_curl_examples_answer_and_store_what_the_page_says(gateway: Gateway) -> None:
    examples = curl_examples()
    assert len(examples) == 2
    for headers, body, answer in examples:
        headers["Authorization"] = f"Bearer {gateway.token}"
        response = httpx.post(f"{gateway.url}/v1/events", content=body, headers=headers)
        assert (response.status_code, response.json()) == (202, answer)
    base64_example = stored(gateway, "count-0003")
    assert base64_example["data"] == {"hub_id": "hub-tolworth", "item": "tinned", "quantity": 420}
    assert "data_base64" not in base64_example and "dataschema" in base64_example
    binary_example = stored(gateway, "count-0004")
    assert binary_example["traceparent"] == TRACEPARENT
    assert (
        "ownername" not in binary_example and "J Doe" not in orjson.dumps(binary_example).decode()
    )


def test_the_python_example_publishes(gateway: Gateway) -> None:
    (example,) = [block for block in blocks("python") if "CloudEvent(" in block]
    printed: list[tuple[object, ...]] = []
    scope = {
        "token": gateway.token,
        "traceparent": TRACEPARENT,
        "attributes": {
            "specversion": "1.0",
            "id": "count-0005",
            "source": "/orgs/kingston-foodbank/stock-sheet",
            "type": "resilience.stock.counted.v1",
            "time": "2020-04-03T09:00:00+01:00",
            "subject": "hub-tolworth",
            "partner": "kingston-foodbank",
            "incident": "covid-2020",
            "ownername": "J Doe",
        },
        "data": {"hub_id": "hub-tolworth", "item": "tinned", "quantity": 350},
        "print": lambda *shown: printed.append(shown),
    }
    exec(example.replace("http://127.0.0.1:8080", gateway.url), scope)
    assert printed == [(1, {"count-0005": ["ownername"]})]
    assert stored(gateway, "count-0005")["traceparent"] == TRACEPARENT
