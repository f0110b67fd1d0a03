"""Setting up a database and a broker before the services start, each as a step of its own:
`tandem migrate` (the Kubernetes setup Job, and each pod's wait for it) and `tandem topics
create`, for a Kafka whose ACLs let the services use topics but not create them."""

from __future__ import annotations

from typing import Annotated

import typer

from services.cli.common import columns, database_failure, fail, settings_for

topics_app = typer.Typer(no_args_is_help=True, help="The broker topics Tandem uses.")
WAIT_EVERY = 2.0


def migrate(
    wait: Annotated[
        bool,
        typer.Option(
            "--wait",
            help="Apply nothing: wait until the database has every migration of this version.",
        ),
    ] = False,
    timeout: Annotated[
        float, typer.Option(metavar="SECONDS", help="How long --wait waits.")
    ] = 600.0,
) -> None:
    """Apply the SQL migrations the database lacks, in order, each once (under a lock, so
    several at once are safe)."""
    import time

    import psycopg

    from infra.migrate import migrate as apply
    from infra.migrate import pending

    try:
        url = settings_for().require_database_url()
    except RuntimeError as exc:
        raise fail(str(exc)) from None
    deadline = time.monotonic() + timeout
    try:
        if not wait:
            applied = apply(url)
            typer.echo(f"applied {', '.join(applied)}" if applied else "nothing to apply")
            return
        while missing := pending(url):
            if time.monotonic() > deadline:
                raise fail(f"after {timeout:.0f} s the database still lacks {', '.join(missing)}")
            time.sleep(WAIT_EVERY)
    except psycopg.Error as exc:
        raise database_failure(exc) from None
    typer.echo("the database has every migration")


@topics_app.command()
def create(
    run: Annotated[
        list[str] | None,
        typer.Option(help="Also an exercise run's topic (repeat for several runs)."),
    ] = None,
) -> None:
    """Create whichever topics the broker lacks, each with its partitions, replicas and
    retention: the core topics, the inbox of every partner registered in the database (when
    one is reachable), and the runs given. Safe to run again, after `tandem partner add`."""
    import psycopg
    from kafka.errors import KafkaError

    from services import logs
    from services.streaming.topics import (
        CORE_TOPICS,
        ensure_topics,
        exercise_topic,
        inbox_topic,
        spec_of,
    )

    settings = settings_for()
    # A topic the broker already has with another partition count is logged, with its count.
    logs.configure("tandem-topics", settings.log_level)
    names = [*CORE_TOPICS, *(exercise_topic(name) for name in run or ())]
    if settings.database_url:
        try:
            with psycopg.connect(settings.database_url, connect_timeout=5) as conn:
                partners = conn.execute("SELECT id FROM partners ORDER BY id").fetchall()
        except psycopg.Error as exc:
            raise database_failure(exc) from None
        names += [inbox_topic(str(partner)) for (partner,) in partners]
    try:
        created = set(ensure_topics(settings, tuple(names)))
    except (KafkaError, RuntimeError) as exc:
        raise fail(f"broker: {exc}") from None
    rows = [
        (
            settings.topic(name),
            str(settings.topic_partitions),
            str(settings.topic_replication),
            f"{spec_of(name).retention.days} days",
            "created" if settings.topic(name) in created else "present",
        )
        for name in names
    ]
    typer.echo(columns(("topic", "partitions", "replicas", "retention", ""), rows))
