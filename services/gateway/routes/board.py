"""The situation board at `/`: what a newcomer, or a projector in a meeting room, opens with
nothing else installed. No token: like the sitrep, it shows the shared picture (figures, runs,
partners' names and when they last published), never a person's data.

It is a page, not part of the API, so it stays out of the OpenAPI description.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from services.figures.incidents import UnknownIncident
from services.figures.sitrep import parse_at
from services.gateway import board, board_html
from services.settings import Settings
from services.store.connections import connect

router = APIRouter()


def board_time(text: str) -> datetime:
    """T as the sitrep reads it, or to the minute (`2020-04-06T09:00Z`), as a person typing the
    address in a meeting writes it; an offset is needed either way."""
    try:
        return parse_at(text)
    except ValueError:
        try:
            minute = datetime.strptime(text, "%Y-%m-%dT%H:%M%z")
        except ValueError:
            raise ValueError(
                f"at {text!r}: must be an RFC 3339 time with an offset, e.g. 2020-04-06T09:00Z"
            ) from None
        return minute.astimezone(UTC)


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
async def situation_board(
    request: Request, at: str | None = None, incident: str | None = None
) -> HTMLResponse:
    try:
        t = None if at is None else board_time(at)
    except ValueError as exc:
        page = board_html.problem("Not a time the board can show", f"{exc}.")
        return HTMLResponse(page, status_code=400)
    settings: Settings = request.app.state.settings

    def gather() -> board.Board:
        with connect(settings) as conn:
            return board.gather(conn, t, incident)

    try:
        shown = await asyncio.to_thread(gather)
    except UnknownIncident as exc:
        return HTMLResponse(board_html.problem("No such incident", f"{exc}."), status_code=404)
    return HTMLResponse(board_html.render(shown))
