"""Areas as reference data: `tandem areas load`, `check`, `list`."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from services.cli.common import columns, database, fail

if TYPE_CHECKING:
    from services.geography.boundaries import Area
    from services.geography.store import AreaVersion

areas_app = typer.Typer(
    no_args_is_help=True,
    help="The areas of the deployment (wards …): load them, list them, check events against them.",
)


@areas_app.command("load")
def load(
    file: Annotated[
        Path,
        typer.Argument(
            help="GeoJSON (a FeatureCollection of polygons) or CSV (code,name,latitude,longitude)."
        ),
    ],
    code_from: Annotated[
        str, typer.Option(metavar="NAME", help="The property or column of the code, e.g. WD22CD.")
    ] = "code",
    name_from: Annotated[
        str, typer.Option(metavar="NAME", help="The property or column of the name, e.g. WD22NM.")
    ] = "name",
    by: Annotated[
        str | None, typer.Option(metavar="NAME", help="Who loads it (default: your login name).")
    ] = None,
) -> None:
    """Load an areas file as a new version, the current one from then on; every problem listed
    and nothing loaded if there is any."""
    from services.geography.boundaries import AreasRefused, Fields, read_areas
    from services.geography.store import load_areas

    try:
        area_set = read_areas(file, Fields(code_from, name_from))
    except OSError as exc:
        raise fail(f"could not read {file}: {exc.strerror or exc}") from None
    except AreasRefused as refused:
        for problem in refused.problems:
            typer.echo(str(problem))
        count = len(refused.problems)
        problems = f"{count} problem{'s' if count > 1 else ''}"
        raise fail(f"{problems} in {file.name} (listed above); nothing was loaded") from None
    with database() as conn:
        version = load_areas(conn, area_set, by or _login_name())
    aliases = sum(len(area.aliases) for area in area_set.areas)
    bounded = sum(area.boundary is not None for area in area_set.areas)
    typer.echo(
        f"loaded {len(area_set.areas)} areas ({bounded} with a boundary, {aliases} aliases)"
        f" from {area_set.source} as version {version}, sha256 {area_set.digest[:12]}"
    )


def _login_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # a container's user may have no name at all
        return "unknown user"


@areas_app.command("check")
def check() -> None:
    """The area codes each partner's events use that name no current area (they count under
    `unknown`): a report, exit 0 either way."""
    from services.geography.store import unknown_codes, versions

    with database() as conn:
        loaded = versions(conn)
        unknown = unknown_codes(conn)
    if not loaded:
        typer.echo("no areas loaded yet: every area code counts as unknown (`tandem areas load`)")
    if not unknown:
        typer.echo(
            "every area code resolves: each is a loaded area's code or alias"
            if loaded
            else "no event names an area yet"
        )
        return
    rows = [(code.partner, code.area, f"{code.events:,}") for code in unknown]
    typer.echo(columns(("partner", "unknown area", "events"), rows))


@areas_app.command("list")
def list_areas(
    history: Annotated[
        bool, typer.Option("--history", help="Every version loaded, not the current areas.")
    ] = False,
) -> None:
    """The current areas (code, name, centre, aliases), or with --history every version."""
    from services.geography.store import current_areas, versions

    with database() as conn:
        loaded = versions(conn)
        areas = current_areas(conn)
    if not loaded:
        typer.echo("no areas loaded yet: load a file with `tandem areas load FILE`")
        return
    typer.echo(_history(loaded) if history else _areas(loaded[-1], areas))


def _history(loaded: list[AreaVersion]) -> str:
    from services.figures.incidents import when_text

    header = ("version", "loaded at", "loaded by", "source", "areas", "sha256")
    rows = [
        (str(v.version), when_text(v.loaded_at), v.loaded_by, v.source, str(v.areas), v.digest[:12])
        for v in loaded
    ]
    return columns(header, rows)


def _areas(current: AreaVersion, areas: list[Area]) -> str:
    header = ("code", "name", "gss", "latitude", "longitude", "boundary", "aliases")
    rows = [
        (
            area.code,
            area.name,
            area.gss or "",
            f"{area.latitude:.5f}",
            f"{area.longitude:.5f}",
            str(area.boundary["type"]) if area.boundary else "none (a point)",
            " ".join(area.aliases),
        )
        for area in areas
    ]
    return f"version {current.version}, from {current.source}\n" + columns(header, rows)
