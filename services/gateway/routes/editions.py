"""Sitrep editions over HTTP, for any partner with a token, as the sitrep itself:
`GET /v1/incidents/{incident}/editions` and `GET /v1/incidents/{incident}/editions/{number}`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Path, Request

from services.exercises.runs import Conn
from services.figures.editions import Edition, EditionLine, UnknownEdition, edition, editions
from services.figures.incidents import UnknownIncident, incident
from services.figures.model import Figures
from services.gateway.auth import CallingPartner
from services.gateway.path_ids import IncidentId
from services.gateway.refusals import Refused
from services.gateway.routes.exercises import in_store

router = APIRouter()

EditionNumber = Annotated[int, Path(ge=1, le=2**31 - 1, description="an edition's number")]
UNKNOWN: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such incident or edition: the error names those there are"}
}
T = TypeVar("T")


class Editions(Figures):
    incident: str
    editions: list[EditionLine]


@router.get(
    "/v1/incidents/{incident}/editions",
    response_model=Editions,
    summary="The sitrep editions issued for an incident",
    description="Each edition's number, its T (`at`), when and by whom it was issued, in order.",
    responses=UNKNOWN,
)
async def incident_editions(
    request: Request, incident: IncidentId, partner_id: CallingPartner
) -> Editions:
    def listed(conn: Conn) -> Editions:
        return Editions(incident=incident, editions=editions(conn, incident))

    return await of_incident(request, incident, listed)


@router.get(
    "/v1/incidents/{incident}/editions/{number}",
    response_model=Edition,
    summary="A sitrep edition as it was issued, with what changed since the one before",
    description=(
        "`figures` is the sitrep as issued (docs/figures.md), never rewritten by late events;"
        " `changes` its figures' changes since edition `previous`; `late`, when late events"
        " have since changed the previous edition's figures, what that edition would read now."
    ),
    responses=UNKNOWN,
)
async def incident_edition(
    request: Request, incident: IncidentId, number: EditionNumber, partner_id: CallingPartner
) -> Edition:
    return await of_incident(request, incident, lambda conn: edition(conn, incident, number))


async def of_incident(request: Request, name: str, read: Callable[[Conn], T]) -> T:
    """`read` for an incident with events; 404 naming those there are otherwise."""

    def checked(conn: Conn) -> T:
        try:
            incident(conn, name)
            return read(conn)
        except (UnknownIncident, UnknownEdition) as exc:
            raise Refused(404, str(exc)) from None

    return await in_store(request, checked)
