"""The `tandem` command line. Exit 0 on success; otherwise one line on stderr and non-zero.

Each group of commands lives in its own module; this one puts them together.
"""

from __future__ import annotations

import typer

from services.cli import (
    areas_commands,
    dashboards_commands,
    editions_commands,  # noqa: F401  (registers `tandem sitrep issue` and `schedule`)
    figures_commands,
    publish_commands,
    refusals_commands,
    replay_commands,
    setup_commands,
    sharing_commands,
    stack_commands,
    webhook_commands,
)

# Plain help (click's): the rich help shows a flag as if it took a value (`--no-demo <bool>`).
app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
app.command()(stack_commands.up)
app.add_typer(stack_commands.partner_app, name="partner")
app.command()(stack_commands.simulate)
app.command()(stack_commands.status)
app.command()(stack_commands.down)
# The sitrep's group: the report itself, and its editions' commands (editions_commands).
app.add_typer(figures_commands.sitrep_app, name="sitrep")
app.command()(figures_commands.incidents)
app.command()(figures_commands.export)
app.add_typer(dashboards_commands.dashboards_app, name="dashboards")
app.add_typer(sharing_commands.agreement_app, name="agreement")
app.command()(sharing_commands.audit)
app.add_typer(replay_commands.replay_app, name="replay")
app.command()(replay_commands.debrief)
app.add_typer(replay_commands.lesson_app, name="lesson")
app.command()(publish_commands.publish)
app.add_typer(publish_commands.mapping_app, name="mapping")
app.command()(refusals_commands.refusals)
app.command()(setup_commands.migrate)
app.add_typer(setup_commands.topics_app, name="topics")
app.add_typer(areas_commands.areas_app, name="areas")
app.add_typer(webhook_commands.webhook_app, name="webhook")
