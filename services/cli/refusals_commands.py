"""`tandem refusals`: what a partner sent that was refused, and why (what it sees at
`GET /v1/refusals`)."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
import typer

from services.cli.common import database, fail
from services.cli.sharing_commands import ListFormat

PAGE = 1000


def refusals(
    partner: Annotated[str, typer.Option(help="The partner whose refusals to show.")],
    after: Annotated[int, typer.Option(min=0, help="Only refusals after this cursor.")] = 0,
    refusals_format: Annotated[ListFormat, typer.Option("--format", help="text or json.")] = (
        ListFormat.text
    ),
) -> None:
    """A partner's refused requests and messages (HTTP and Kafka), oldest first, with reasons."""
    from services.store.dead_letters import READ_SQL, refusal_json

    found: list[dict[str, Any]] = []
    with database() as conn:
        known = conn.execute("SELECT 1 FROM partners WHERE id = %s", (partner,)).fetchone()
        while page := conn.execute(READ_SQL, (partner, after, PAGE)).fetchall():
            found += [refusal_json(row) for row in page]
            after = int(found[-1]["cursor"])
    if known is None:
        raise fail(f"no partner {partner!r}")
    if refusals_format is ListFormat.json:
        typer.echo(orjson.dumps(found).decode())
        return
    for refusal in found:
        reasons = "; ".join(
            f"{p['field']}: {p['reason']}" if p["field"] else str(p["reason"])
            for p in refusal["problems"]
        )
        typer.echo(
            f"{refusal['cursor']}  {refusal['received_at']}  {refusal['channel']}"
            f"  {refusal['status']}  {refusal['size']} bytes  sha256 {refusal['sha256'][:12]}"
            f"  {reasons}"
        )
