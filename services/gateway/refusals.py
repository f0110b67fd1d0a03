"""`Refused`: how the gateway says no — a status, what went wrong, every problem listed, and for
429 and 503 when to try again. Raised anywhere a request is handled; answered by `answer`.

Losing PostgreSQL anywhere (checking a token, reading figures) is a 503 too, never a 500: the
client should come back, and nothing of its request was done."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import psycopg
from fastapi import Request
from fastapi.responses import JSONResponse, Response

from schemas import Problem
from services.gateway import metrics
from services.gateway.rate_limits import retry_after
from services.store import dead_letters

log = logging.getLogger(__name__)


class Refused(Exception):
    def __init__(
        self,
        status: int,
        error: str,
        problems: Sequence[Problem] = (),
        retry: float = 1.0,
    ) -> None:
        super().__init__(error)
        self.status = status
        self.error = error
        self.problems = list(problems) or [Problem(None, None, "", error)]
        self.retry = retry


async def answer(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Refused)
    metrics.REQUESTS_REJECTED.labels(str(exc.status)).inc()
    headers = {"Retry-After": retry_after(exc.retry)} if exc.status in (429, 503) else None
    return JSONResponse(
        {"error": exc.error, "problems": dead_letters.problems_json(exc.problems, storable=False)},
        status_code=exc.status,
        headers=headers,
    )


async def database_unavailable(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, psycopg.OperationalError)
    log.warning("database unavailable", extra={"path": request.url.path, "error": repr(exc)})
    return await answer(request, Refused(503, "the database is unavailable; retry later"))
