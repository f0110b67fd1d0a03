"""Data sharing: `tandem agreement add|list|revoke` and `tandem audit`."""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Annotated

import orjson
import typer

from services.cli.common import database, fail

agreement_app = typer.Typer(no_args_is_help=True, help="Data-sharing agreements between partners.")


class ListFormat(StrEnum):
    text = "text"
    json = "json"


def comma_list(value: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(part.strip() for part in value.split(",") if part.strip()))


def day(option: str, value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise fail(f"{option} must be a date like 2020-06-30, not {value!r}") from None


@agreement_app.command("add")
def agreement_add(
    from_partner: Annotated[str, typer.Option("--from", help="The partner providing the data.")],
    to_partner: Annotated[str, typer.Option("--to", help="The partner receiving it.")],
    types: Annotated[
        str, typer.Option(help="Event types, comma-separated, e.g. resilience.request.raised.v1.")
    ],
    fields: Annotated[
        str, typer.Option(help="The data fields shared, comma-separated, e.g. request_id,need.")
    ],
    purpose: Annotated[str, typer.Option(help="Why the data is shared, in one line.")],
    review_by: Annotated[str, typer.Option(help="When to review it, e.g. 2020-06-30.")],
    pseudonymise: Annotated[
        bool, typer.Option("--pseudonymise", help="Share person_ref, as a per-recipient pseudonym.")
    ] = False,
    starts: Annotated[
        str | None, typer.Option(help="First day in force, e.g. 2020-03-23 (default: today).")
    ] = None,
) -> None:
    """Make a data-sharing agreement; print its id alone on the last line."""

    from services.sharing.agreements import UK, Terms
    from services.sharing.store import AgreementError, add_agreement

    terms = Terms(
        from_partner=from_partner,
        to_partner=to_partner,
        types=comma_list(types),
        fields=comma_list(fields),
        purpose=purpose.strip(),
        pseudonymise=pseudonymise,
        starts=datetime.now(UK).date() if starts is None else day("--starts", starts),
        review_by=day("--review-by", review_by),
    )
    with database(AgreementError) as conn:
        agreement = add_agreement(conn, terms)
    person_ref = ", person_ref pseudonymised" if terms.pseudonymise else ""
    typer.echo(
        f"agreement {agreement.id} added: {from_partner} shares {', '.join(terms.types)} "
        f"({', '.join(terms.fields) or 'no data fields'}{person_ref}) with {to_partner}, "
        f"from {terms.starts}, review by {terms.review_by}"
    )
    typer.echo(agreement.id)


@agreement_app.command("list")
def agreement_list(
    list_format: Annotated[ListFormat, typer.Option("--format", help="text or json.")] = (
        ListFormat.text
    ),
) -> None:
    """Every agreement, with its status now: in force, scheduled, due for review, revoked."""

    from services.sharing.reports import agreement_json, agreements_text
    from services.sharing.store import agreements

    with database() as conn:
        listed = agreements(conn)
    now = datetime.now(UTC)
    if list_format is ListFormat.json:
        typer.echo(orjson.dumps([agreement_json(a, now) for a in listed]).decode())
    else:
        typer.echo(agreements_text(listed, now), nl=False)


@agreement_app.command("revoke")
def agreement_revoke(
    agreement_id: Annotated[str, typer.Argument(metavar="ID", help="e.g. dsa-1f2e3d4c")],
) -> None:
    """Revoke an agreement: events accepted from now on are not shared under it."""

    from services.sharing.store import AgreementError, revoke_agreement

    with database(AgreementError) as conn:
        agreement = revoke_agreement(conn, agreement_id)
    assert agreement.revoked_at is not None
    typer.echo(f"agreement {agreement.id} revoked at {agreement.revoked_at.isoformat()}")


def audit(
    partner: Annotated[str, typer.Option(help="The partner whose events were shared.")],
    request: Annotated[
        str | None, typer.Option(help="Only what was shared about this request id.")
    ] = None,
    audit_format: Annotated[ListFormat, typer.Option("--format", help="text or json.")] = (
        ListFormat.text
    ),
) -> None:
    """Who received what of a partner's events, when, under which agreement or referral."""

    from services.sharing.audit import audit as shares_of
    from services.sharing.reports import audit_json, audit_text

    with database() as conn:
        known = conn.execute("SELECT 1 FROM partners WHERE id = %s", (partner,)).fetchone()
        entries = shares_of(conn, partner, request)
    if known is None:
        raise fail(f"no partner {partner!r}")
    if audit_format is ListFormat.json:
        typer.echo(orjson.dumps([audit_json(e) for e in entries]).decode())
    else:
        typer.echo(audit_text(entries), nl=False)
