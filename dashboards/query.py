"""The PostgreSQL query of a panel: the SDK ships no query type for it, so this is ours.

One frozen dataclass that is both the query (`Dataquery`: `to_json`, `from_json`) and its own
builder (`build` returns itself), so a panel takes it with `with_target` like any SDK query.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Literal, Self

from grafana_foundation_sdk.cog import builder as cogbuilder
from grafana_foundation_sdk.cog import runtime as cogruntime
from grafana_foundation_sdk.cog import variants as cogvariants
from grafana_foundation_sdk.models.common import DataSourceRef

DATASOURCE_TYPE = "grafana-postgresql-datasource"
DATASOURCE_UID = "tandem-postgres"
DATASOURCE = DataSourceRef(type_val=DATASOURCE_TYPE, uid=DATASOURCE_UID)

Format = Literal["table", "time_series"]


@dataclass(frozen=True)
class SqlQuery(cogvariants.Dataquery, cogbuilder.Builder[cogvariants.Dataquery]):
    """Raw SQL in code mode, as Grafana's PostgreSQL query editor saves it."""

    raw_sql: str
    format: Format = "table"
    ref_id: str = "A"
    datasource: DataSourceRef = DATASOURCE

    def build(self) -> SqlQuery:
        return self

    def with_ref_id(self, ref_id: str) -> SqlQuery:
        return replace(self, ref_id=ref_id)

    def to_json(self) -> dict[str, object]:
        return {
            "refId": self.ref_id,
            "datasource": self.datasource.to_json(),
            "editorMode": "code",
            "format": self.format,
            "rawQuery": True,
            "rawSql": self.raw_sql,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Self:
        return cls(
            raw_sql=data["rawSql"],
            format=data.get("format", "table"),
            ref_id=data.get("refId", "A"),
            datasource=DataSourceRef.from_json(data.get("datasource") or DATASOURCE.to_json()),
        )


def register() -> None:
    """Let the SDK read our queries back from dashboard JSON (`Dashboard.from_json`)."""
    cogruntime.register_dataquery_variant(
        cogruntime.DataqueryConfig(identifier=DATASOURCE_TYPE, from_json_hook=SqlQuery.from_json)
    )
