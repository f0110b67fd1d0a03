"""How `POST /v1/events` is described in the OpenAPI document: its body is the event contract
itself (each type's JSON Schema, as `schemas/jsonschema/` exports it), and every answer it can
give has its shape, so clients and fuzzers see what the gateway really takes and returns."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, Field

from schemas.bindings import BATCH, JSON, STRUCTURED
from schemas.events import EVENT_ADAPTER

COMPONENTS = "#/components/schemas/"
EVENT = {"$ref": f"{COMPONENTS}Event"}
EVENTS = {"type": "array", "minItems": 1, "items": EVENT}


class Accepted(BaseModel):
    """Every event of the request is durable: `accepted` were new, `duplicates` were stored
    before (same `source` and `id`). `dropped`, only there when something was, names the
    extension attributes dropped from each event (by its `id`) before it was stored."""

    accepted: int
    duplicates: int
    dropped: dict[str, list[str]] = Field(
        default_factory=dict,
        description="event id → the names of the extension attributes dropped from it; absent "
        "when none were",
    )


class ListedProblem(BaseModel):
    index: int | None
    id: str | None
    field: str
    reason: str


class Refusal(BaseModel):
    """Nothing of the request was accepted; `problems` lists everything wrong with it (`index`
    of the event in a batch, its `id` as sent, the `field`, and the `reason`)."""

    error: str
    problems: list[ListedProblem]


class Unauthorised(BaseModel):
    detail: str


RETRY_AFTER = {
    "Retry-After": {"description": "whole seconds to wait", "schema": {"type": "string"}}
}
REFUSALS: dict[int | str, dict[str, Any]] = {
    401: {"model": Unauthorised, "description": "no valid partner token"},
    403: {
        "model": Refusal,
        "description": "an event's `partner` is not the token's partner, or an event is about"
        " a request, hub, volunteer or deployment the partner neither owns nor is involved in",
    },
    408: {"model": Refusal, "description": "the body did not arrive in time"},
    409: {"model": Refusal, "description": "`raised` for a request another partner raised"},
    413: {"model": Refusal, "description": "body over the size limit, or too many events"},
    415: {"model": Refusal, "description": "unsupported media type"},
    422: {"model": Refusal, "description": "events that break the contract"},
    429: {
        "model": Refusal,
        "description": "over the partner's rate limit, or the store is behind: retry later",
        "headers": RETRY_AFTER,
    },
    503: {
        "model": Refusal,
        "description": "the event store is unavailable: retry later",
        "headers": RETRY_AFTER,
    },
}
REQUEST_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            STRUCTURED: {"schema": EVENT},
            BATCH: {"schema": EVENTS},
            JSON: {"schema": {"oneOf": [EVENT, EVENTS]}},
        },
    }
}


def contract_schemas() -> dict[str, Any]:
    """The contract as OpenAPI components: `Event` (any event) and what it refers to."""
    event = EVENT_ADAPTER.json_schema(ref_template=COMPONENTS + "{model}")
    return {**event.pop("$defs"), "Event": event}


def describe_with_contract(app: FastAPI) -> None:
    """Makes the app's OpenAPI document carry the contract's schemas."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            document.setdefault("components", {}).setdefault("schemas", {}).update(
                contract_schemas()
            )
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
