"""What every figures object shares: immutable, strict, written with its wire names."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class Figures(BaseModel):
    model_config = ConfigDict(
        frozen=True, extra="forbid", serialize_by_alias=True, validate_by_name=True
    )


# The rows each section's statement returned, by section name.
Rows = dict[str, list[tuple[Any, ...]]]
