"""Incident, run and inject ids in paths and queries, checked against the contract's id pattern:
an id that breaks it is a 422 before anything is looked up, never a 404 or a report of zeros that
would make a typo look like an incident with nothing in it."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

from schemas.ids import ID_PATTERN

IncidentId = Annotated[str, Path(pattern=ID_PATTERN, description="an incident id")]
RunId = Annotated[str, Path(pattern=ID_PATTERN, description="an exercise run id (its incident id)")]
InjectId = Annotated[str, Path(pattern=ID_PATTERN, description="an inject id")]
RunQuery = Annotated[str, Query(pattern=ID_PATTERN, description="live, or an exercise run id")]
