"""Identifier types shared by the envelope and every payload."""

from typing import Annotated

from pydantic import Field, StringConstraints

ID_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,63}$"
"""Partners, areas, hubs, requests, volunteers, incidents, person_refs …: ids that end up in
URLs, topic keys and log lines, so they are restricted to a safe lowercase alphabet."""

Id = Annotated[
    str,
    StringConstraints(pattern=ID_PATTERN),
    Field(
        description="an id: 1 to 64 characters of a-z, 0-9, '.', '_' or '-', "
        "starting with a letter or digit"
    ),
]

EVENT_ID_PATTERN = r"^[!-~]{1,128}$"
"""CloudEvents only asks for a non-empty string; producers commonly send UUIDs (sometimes
upper-case), so the event id is looser than `Id` but still printable and bounded, because it
is half of the de-duplication key and appears in every problem report."""

EventId = Annotated[
    str,
    StringConstraints(pattern=EVENT_ID_PATTERN),
    Field(description="1 to 128 printable ASCII characters without spaces"),
]

SOURCE_PATTERN = r"^/orgs/[a-z0-9][a-z0-9._-]{0,63}/[a-z0-9][a-z0-9._-]{0,63}$"

Source = Annotated[
    str,
    StringConstraints(pattern=SOURCE_PATTERN),
    Field(
        description="a URI reference of the form /orgs/{partner}/{system}, "
        "where {partner} and {system} are ids"
    ),
]


def source_partner(source: str) -> str:
    """The `{partner}` segment of a source already known to match SOURCE_PATTERN."""
    return source.split("/")[2]
