"""The base every `data` payload shares, and the value types payloads are built from."""

import re
from typing import Annotated, TypeVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

CONTRACT_CONFIG = ConfigDict(strict=True, extra="forbid", frozen=True)
"""Partners write producers against this contract, so nothing is coerced ("5" is not 5) and
unknown fields are errors: a typo must fail loudly, not vanish."""


class Payload(BaseModel):
    """The `data` object of an event."""

    model_config = CONTRACT_CONFIG


INTEGER_MAX = 2_147_483_647
"""The largest integer an event may carry: what figures store it in (PostgreSQL `int`). A
larger one would be accepted and then stop every worker that counts it."""

Quantity = Annotated[
    int, Field(ge=0, le=INTEGER_MAX, description=f"an integer from 0 to {INTEGER_MAX:,}")
]

LATITUDE_LIMIT = 90
LONGITUDE_LIMIT = 180
"""WGS84 decimal degrees: latitude within ±90, longitude within ±180 (a hub's place, an area's
centre and boundary). A number beyond is not degrees at all: metres of a projected grid."""

Latitude = Annotated[
    float,
    Field(
        ge=-LATITUDE_LIMIT,
        le=LATITUDE_LIMIT,
        description="WGS84 latitude in decimal degrees, from -90 to 90",
    ),
]
Longitude = Annotated[
    float,
    Field(
        ge=-LONGITUDE_LIMIT,
        le=LONGITUDE_LIMIT,
        description="WGS84 longitude in decimal degrees, from -180 to 180",
    ),
]

# No control characters (NUL, line breaks, tabs …): one line of text, and NUL cannot be kept in
# PostgreSQL text or jsonb, where every consumer of the event writes it.
_PRINTED = r"[^\x00-\x1f\x7f-\x9f]"
_PRINTED_NOT_SPACE = r"[^\s\x00-\x1f\x7f-\x9f]"
TEXT_PATTERN = rf"^{_PRINTED_NOT_SPACE}(?:{_PRINTED}{{0,198}}{_PRINTED_NOT_SPACE})?$"

Text = Annotated[
    str,
    Field(
        pattern=TEXT_PATTERN,
        description="text of 1 to 200 characters on one line, without control characters or"
        " leading or trailing spaces",
    ),
]

_PERSONAL_DATA = (
    ("an email address", re.compile(r"[^\s@]+@[^\s@]+\.[^\s@]+")),
    # Digits separated only by spaces or brackets, so dates and times (2020-03-23) do not match.
    ("a phone number", re.compile(r"(?:\d[ ()]*){9,}")),
    ("a postcode", re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}\b", re.IGNORECASE)),
)


def _without_personal_data(text: str) -> str:
    # Best effort: free text is where names and contact details leak onto the bus, and the
    # contract forbids them there. Names cannot be caught by a pattern; contact details can.
    for what, pattern in _PERSONAL_DATA:
        if pattern.search(text):
            raise PydanticCustomError(
                "personal_data",
                "must not contain personal data (it looks like it contains {what})",
                {"what": what},
            )
    return text


Note = Annotated[Text, AfterValidator(_without_personal_data)]
"""Free text that travels on the bus, e.g. why a request was referred."""

Item = TypeVar("Item")


def _list_as_tuple(value: object) -> object:
    # Decoded JSON arrays are lists; strict mode only accepts tuples, which keep payloads
    # immutable and hashable.
    return tuple(value) if isinstance(value, list) else value


FrozenList = Annotated[tuple[Item, ...], BeforeValidator(_list_as_tuple)]
