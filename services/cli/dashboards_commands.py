"""Dashboards as code: `tandem dashboards build|push`."""

from __future__ import annotations

from typing import Annotated

import typer

from services.cli.common import database, fail, settings_for

dashboards_app = typer.Typer(no_args_is_help=True, help="Grafana dashboards as code.")


@dashboards_app.command("build")
def dashboards_build(
    check: Annotated[
        bool, typer.Option("--check", help="Only check the files are up to date; write nothing.")
    ] = False,
) -> None:
    """Write dashboards/json/<uid>.json and the Grafana provisioning files from the code."""
    from dashboards import catalogue, provisioning
    from dashboards.lint import lint

    models = catalogue.dashboards_json()
    problems = lint(models)
    if problems:
        raise fail("dashboards have problems:\n  " + "\n  ".join(problems))
    if check:
        json_dir, provisioning_dir = catalogue.JSON_DIR, provisioning.PROVISIONING_DIR
        wanted = {json_dir / f"{m['uid']}.json": catalogue.file_text(m) for m in models}
        wanted |= {
            provisioning_dir / p: text for p, text in provisioning.provisioning_files().items()
        }
        stale = [str(p) for p, text in wanted.items() if not p.exists() or p.read_text() != text]
        stale += sorted(str(p) for p in set(json_dir.glob("*.json")) - set(wanted))
        if stale:
            raise fail("stale, run `tandem dashboards build`: " + ", ".join(stale))
        typer.echo("dashboards and provisioning files are up to date")
        return
    written = catalogue.write_json()
    provisioned = provisioning.write_provisioning()
    typer.echo(f"{len(written)} dashboards written to {catalogue.JSON_DIR}")
    typer.echo(f"{len(provisioned)} provisioning files written to {provisioning.PROVISIONING_DIR}")


@dashboards_app.command("push")
def dashboards_push(
    url: Annotated[str | None, typer.Option(help="Grafana's URL (default: GRAFANA_URL).")] = None,
    token: Annotated[
        str | None, typer.Option(help="A service account token (default: GRAFANA_TOKEN).")
    ] = None,
    pg_host: Annotated[
        str | None,
        typer.Option(
            envvar="TANDEM_PG_HOST",
            help="host:port of PostgreSQL as Grafana reaches it (default: from DATABASE_URL).",
        ),
    ] = None,
    pg_database: Annotated[str | None, typer.Option(envvar="TANDEM_PG_DATABASE")] = None,
    pg_user: Annotated[str | None, typer.Option(envvar="TANDEM_PG_USER")] = None,
    pg_password: Annotated[str | None, typer.Option(envvar="TANDEM_PG_PASSWORD")] = None,
    pg_sslmode: Annotated[str, typer.Option(envvar="TANDEM_PG_SSLMODE")] = "disable",
) -> None:
    """Create or update the folder, data source and dashboards in Grafana; say what changed."""
    import niquests
    from grafana_client.api import GrafanaApi
    from grafana_client.client import GrafanaException
    from psycopg.conninfo import conninfo_to_dict

    from dashboards.area_map import with_gateway
    from dashboards.catalogue import dashboards_json
    from dashboards.provisioning import datasource
    from dashboards.push import push

    settings = settings_for()
    url = url or settings.grafana_url
    token = token or settings.grafana_token
    if not url or not token:
        raise fail("no Grafana: give --url and --token, or set GRAFANA_URL and GRAFANA_TOKEN")
    known = {str(k): str(v) for k, v in conninfo_to_dict(settings.database_url or "").items()}
    host = pg_host or (
        f"{known['host']}:{known.get('port', '5432')}" if known.get("host") else None
    )
    user, password = pg_user or known.get("user", "tandem"), pg_password or known.get("password")
    if not pg_host and host and host.startswith("/"):  # the embedded PostgreSQL's Unix socket
        if settings.postgres_port is None:
            raise fail(
                "the embedded PostgreSQL listens on a Unix socket only, which Grafana cannot"
                " reach: start the stack with `tandem up --postgres-port 5433` (or set"
                " TANDEM_POSTGRES_PORT) to open it on 127.0.0.1 too, or give --pg-host HOST:PORT"
            )
        host = f"127.0.0.1:{settings.postgres_port}"
        if not pg_user:
            user, password = _grafana_login()
    if not host:
        raise fail("no PostgreSQL address for Grafana: give --pg-host (or TANDEM_PG_HOST)")
    wanted = datasource(
        host=host,
        database=pg_database or known.get("dbname", "tandem"),
        user=user,
        password=password or "",
        sslmode=pg_sslmode,
    )
    try:
        # The maps' base layer is fetched by the browser from this stack's gateway.
        models = with_gateway(dashboards_json(), settings.gateway_url)
        changes = push(GrafanaApi.from_url(url, credential=token), wanted, models)
    except niquests.ConnectionError:
        raise fail(
            f"could not reach Grafana at {url}: is it running, and is that its URL?"
        ) from None
    except (GrafanaException, OSError) as exc:
        raise fail(f"could not push to {url}: {exc}") from None
    for change in changes:
        typer.echo(str(change))


def _grafana_login() -> tuple[str, str]:
    """The embedded PostgreSQL's login for Grafana, with a new password."""
    from services.store.grafana_login import grafana_login

    with database() as conn:
        return grafana_login(conn)
