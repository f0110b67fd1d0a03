"""Incident, run and inject ids in paths and queries, checked against the contract's id pattern:
an id that breaks it is a 422 before anything is looked up, never a 404 or a report of zeros that
would make a typo look like an incident with nothing in it; and the cursor and page size of the
paged reads (`/v1/feed`, `/v1/refusals`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

from schemas.ids import ID_PATTERN

IncidentId = Annotated[str, Path(pattern=ID_PATTERN, description="an incident id")]
RunId = Annotated[str, Path(pattern=ID_PATTERN, description="an exercise run id (its incident id)")]
InjectId = Annotated[str, Path(pattern=ID_PATTERN, description="an inject id")]
RunQuery = Annotated[str, Query(pattern=ID_PATTERN, description="live, or an exercise run id")]
After = Annotated[int, Query(ge=0, description="the cursor of the last page (0: start)")]
PageLimit = Annotated[int, Query(ge=1, le=1000)]
