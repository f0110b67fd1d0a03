"""Webhooks: `tandem webhook add|status|remove|resume`, the operator's side of `/v1/webhooks`."""

from __future__ import annotations

from typing import Annotated

import orjson
import typer

from services.cli.common import columns, database, fail, settings_for
from services.cli.sharing_commands import ListFormat, comma_list

WebhookId = Annotated[str, typer.Argument(metavar="ID", help="e.g. wh-1a2b3c4d")]

webhook_app = typer.Typer(
    no_args_is_help=True, help="Push partners' inboxes to their own HTTP endpoints."
)


@webhook_app.command("add")
def webhook_add(
    partner: Annotated[str, typer.Option(help="The partner whose inbox is pushed.")],
    url: Annotated[str, typer.Option(help="Where to POST each event: https, a public address.")],
    types: Annotated[
        str | None, typer.Option(help="Only these event types, comma-separated (default: all).")
    ] = None,
    from_cursor: Annotated[
        int | None,
        typer.Option(
            min=0, help="Deliver the inbox after this feed cursor (0: all; default: from now)."
        ),
    ] = None,
) -> None:
    """Make a webhook; print its signing secret, once, alone on the last line."""

    from services.sharing.webhook_store import WebhookError, add_webhook
    from services.sharing.webhook_urls import UrlRefused, checked
    from services.sharing.webhooks import unknown_types

    kinds = comma_list(types) if types else None
    if problem := unknown_types(kinds):
        raise fail(problem)
    settings = settings_for()
    try:
        target, _ = checked(url, allow_loopback=settings.webhook_allow_loopback)
    except UrlRefused as exc:
        raise fail(f"--url: {exc}") from None
    with database(WebhookError) as conn:
        hook, secret = add_webhook(conn, partner, target.url, kinds, from_cursor)
    typer.echo(
        f"webhook {hook.id} added: {partner}'s inbox"
        f"{' (' + ', '.join(kinds) + ')' if kinds else ''} to {hook.url}, after cursor"
        f" {hook.position}. Its signing secret is shown once; give it to the receiver:"
    )
    typer.echo(secret)


@webhook_app.command("status")
def webhook_status(
    partner: Annotated[str | None, typer.Option(help="Only this partner's webhooks.")] = None,
    list_format: Annotated[ListFormat, typer.Option("--format", help="text or json.")] = (
        ListFormat.text
    ),
) -> None:
    """Each webhook: delivering, retrying or parked, delivered, waiting, the last error."""

    from services.sharing.webhook_store import webhook_json, webhooks

    with database() as conn:
        found = webhooks(conn, partner)
    if list_format is ListFormat.json:
        typer.echo(orjson.dumps([webhook_json(hook) for hook in found]).decode())
        return
    if not found:
        typer.echo("no webhooks")
        return
    header = ("ID", "PARTNER", "STATUS", "CURSOR", "DELIVERED", "WAITING", "LAST ERROR", "URL")
    rows = [
        (
            hook.id,
            hook.partner,
            hook.status if hook.status != "retrying" else f"retrying ({hook.attempts})",
            str(hook.position),
            str(hook.delivered),
            str(hook.waiting),
            hook.last_error or "-",
            hook.url,
        )
        for hook in found
    ]
    typer.echo(columns(header, rows))


@webhook_app.command("remove")
def webhook_remove(
    webhook_id: WebhookId,
) -> None:
    """Remove a webhook and its secret: nothing more is sent to it."""

    from services.sharing.webhook_store import WebhookError, remove_webhook

    with database(WebhookError) as conn:
        remove_webhook(conn, webhook_id)
    typer.echo(f"webhook {webhook_id} removed")


@webhook_app.command("resume")
def webhook_resume(
    webhook_id: WebhookId,
) -> None:
    """Deliver a parked webhook again, from the event it stopped at."""

    from services.sharing.webhook_store import WebhookError, resume_webhook

    with database(WebhookError) as conn:
        resume_webhook(conn, webhook_id)
    typer.echo(f"webhook {webhook_id} resumed")
