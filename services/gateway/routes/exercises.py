"""Facilitator controls over HTTP: the same controls as `tandem replay pause|resume|…`.

Any partner may read how runs stand; only a run's facilitators may steer it (players publish
into the run through `/v1/events`). Each control is logged with the partner that made it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Body, HTTPException, Request
from pydantic import BaseModel, Field

from schemas.envelope import EventTime
from services.exercises import runs
from services.exercises.injects import Inject, InjectsInvalid, check_effect
from services.gateway.auth import CallingPartner
from services.gateway.path_ids import InjectId, RunId
from services.settings import Settings
from services.store.connections import connect

router = APIRouter(
    prefix="/v1/runs",
    tags=["exercises"],
    responses={
        401: {"description": "No valid partner token"},
        404: {"description": "No such exercise run"},
        422: {"description": "A run or inject id that breaks the id pattern"},
    },
)
STEERING: dict[int | str, dict[str, Any]] = {
    403: {"description": "The partner is not one of the run's facilitators"},
    409: {"description": "The control cannot apply to the run as it stands (the reason says why)"},
}
log = logging.getLogger(__name__)
T = TypeVar("T")


class Speed(BaseModel):
    speed: float | None = Field(gt=0, description="speed factor; null for as fast as possible")


class Jump(BaseModel):
    to: EventTime = Field(description="the scenario time to jump to")


class Standing(BaseModel):
    run: str
    state: str
    scenario_time: EventTime
    speed: float | None


async def in_store(request: Request, work: Callable[[runs.Conn], T]) -> T:
    """Run `work` on its own database connection in a worker thread; a refused control is a
    409 with its reason, an unknown run a 404, a partner that may not steer the run a 403."""
    settings: Settings = request.app.state.settings

    def call() -> T:
        with connect(settings) as conn:
            return work(conn)

    try:
        return await asyncio.to_thread(call)
    except runs.UnknownRun as exc:
        raise HTTPException(404, str(exc)) from None
    except runs.NotFacilitator as exc:
        raise HTTPException(403, str(exc)) from None
    except runs.RunError as exc:
        raise HTTPException(409, str(exc)) from None
    except InjectsInvalid as exc:
        raise HTTPException(422, str(exc)) from None


async def as_facilitator(
    request: Request, partner: str, run: str, work: Callable[[runs.Conn], T]
) -> T:
    """`work` on the run, if `partner` is one of its facilitators."""

    def checked(conn: runs.Conn) -> T:
        runs.check_facilitator(conn, run, partner)
        return work(conn)

    return await in_store(request, checked)


async def _control(
    request: Request, partner: str, run: str, action: runs.FacilitatorControl, **how: Any
) -> Standing:
    segment = await as_facilitator(
        request, partner, run, lambda conn: runs.control(conn, run, action, **how)
    )
    log.info("exercise control", extra={"run": run, "control": action, "partner": partner})
    return Standing(
        run=run, state=segment.state, scenario_time=segment.scenario_time, speed=segment.speed
    )


@router.get("", summary="Every exercise run as it stands")
async def list_runs(request: Request, partner_id: CallingPartner) -> list[dict[str, Any]]:
    found = await in_store(request, runs.statuses)
    return [status.as_json() for status in found]


@router.get("/{run}", summary="One exercise run as it stands")
async def run_status(request: Request, run: RunId, partner_id: CallingPartner) -> dict[str, Any]:
    found = await in_store(request, lambda conn: runs.statuses(conn, run))
    return found[0].as_json()


@router.post("/{run}/speed", summary="Change a run's speed", responses=STEERING)
async def change_speed(
    request: Request, run: RunId, body: Annotated[Speed, Body()], partner_id: CallingPartner
) -> Standing:
    return await _control(request, partner_id, run, "speed", speed=body.speed)


@router.post("/{run}/jump", summary="Jump to a scenario time, ahead or back", responses=STEERING)
async def jump(
    request: Request, run: RunId, body: Annotated[Jump, Body()], partner_id: CallingPartner
) -> Standing:
    return await _control(request, partner_id, run, "jump", to=body.to)


@router.post(
    "/{run}/injects", status_code=202, summary="Fire an ad-hoc inject now", responses=STEERING
)
async def fire_inject(
    request: Request, run: RunId, inject: Annotated[Inject, Body()], partner_id: CallingPartner
) -> dict[str, str]:
    def fire(conn: runs.Conn) -> None:
        check_effect(inject.id, inject.effect, runs.load_run(conn, run).incident)
        runs.fire_ad_hoc(conn, run, inject)

    await as_facilitator(request, partner_id, run, fire)
    log.info("ad-hoc inject", extra={"run": run, "inject": inject.id, "partner": partner_id})
    return {"run": run, "inject": inject.id, "status": "scheduled"}


@router.post(
    "/{run}/injects/{inject_id}/{action}",
    summary="Hold, release or skip an inject",
    responses=STEERING,
)
async def change_inject(
    request: Request,
    run: RunId,
    inject_id: InjectId,
    action: runs.InjectAction,
    partner_id: CallingPartner,
) -> dict[str, str]:
    await as_facilitator(
        request, partner_id, run, lambda conn: runs.change_inject(conn, run, inject_id, action)
    )
    log.info(
        "inject changed",
        extra={"run": run, "inject": inject_id, "control": action, "partner": partner_id},
    )
    return {"run": run, "inject": inject_id, "action": action}


# Last: its path would otherwise take /speed, /jump and /injects for itself.
@router.post("/{run}/{action}", summary="Pause, resume or stop a run", responses=STEERING)
async def pause_resume_stop(
    request: Request,
    run: RunId,
    action: Literal["pause", "resume", "stop"],
    partner_id: CallingPartner,
) -> Standing:
    return await _control(request, partner_id, run, action)
