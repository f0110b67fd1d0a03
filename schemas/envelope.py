"""The CloudEvents 1.0 envelope (structured JSON mode) that carries every payload."""

import re
from datetime import datetime, timedelta
from typing import Annotated, ClassVar, Literal, Self

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    Field,
    GetJsonSchemaHandler,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, InitErrorDetails, PydanticCustomError, ValidationError

from schemas.ids import EventId, Id, Source, source_partner
from schemas.payload import CONTRACT_CONFIG, Payload, Text

RFC3339_PATTERN = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?"
    r"([Zz]|[+-][0-9]{2}:[0-9]{2})$"
)
_RFC3339 = re.compile(RFC3339_PATTERN)
_TIME_RULE = "an RFC 3339 time with an offset, e.g. 2020-03-23T10:00:00Z"
MAX_OFFSET = timedelta(hours=14)
"""The widest offset of any time zone (Kiribati, +14:00). RFC 3339's syntax allows up to 23:59,
which PostgreSQL cannot store, so such a time would stop the store rather than be refused."""


def _rfc3339_text(value: object) -> object:
    # pydantic's own parser also takes unix timestamps, "10:00Z" and "+0100", none of which
    # are RFC 3339; only text that is goes on to be parsed (leniently, as it is still a str).
    if isinstance(value, datetime) or (isinstance(value, str) and _RFC3339.fullmatch(value)):
        return value
    raise PydanticCustomError("rfc3339_time", "must be " + _TIME_RULE)


def _real_offset(value: datetime) -> datetime:
    offset = value.utcoffset()
    if offset is not None and abs(offset) > MAX_OFFSET:
        raise PydanticCustomError(
            "time_offset", "must have an offset between -14:00 and +14:00, as time zones do"
        )
    return value


EventTime = Annotated[
    AwareDatetime,
    BeforeValidator(_rfc3339_text),
    AfterValidator(_real_offset),
    Field(strict=False, description=_TIME_RULE, json_schema_extra={"pattern": RFC3339_PATTERN}),
]

DataSchema = Annotated[
    str,
    Field(pattern=r"^[A-Za-z][A-Za-z0-9+.-]*:[!-~]+$", description="an absolute URI"),
]


TRACEPARENT_PATTERN = r"^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$"
EXTENSION_NAME_PATTERN = r"^[a-z0-9]{1,20}$"
"""What the CloudEvents specification allows an extension attribute to be called."""
DATA_BASE64 = "data_base64"
KEPT_EXTENSIONS = ("partitionkey", "traceparent", "tracestate", "sequence")
"""The documented CloudEvents extensions Tandem keeps with an event and passes on; any other
extension is dropped at the door (schemas.door)."""

TraceParent = Annotated[
    str,
    Field(
        pattern=TRACEPARENT_PATTERN,
        description="a W3C Trace Context traceparent: version-trace id-parent id-flags in "
        "lower-case hex, e.g. 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    ),
]
TraceState = Annotated[
    str,
    Field(
        pattern=r"^[ -~]{1,512}$",
        description="a W3C Trace Context tracestate: 1 to 512 printable ASCII characters",
    ),
]


class Envelope(BaseModel):
    """A CloudEvents 1.0 event from a partner. The `{partner}` segment of `source` must equal
    `partner`, and `subject` must name the entity the payload is about."""

    model_config = CONTRACT_CONFIG

    subject_is: ClassVar[tuple[str, ...]]
    """Dotted attribute paths, any one of which `subject` must equal."""
    subject_judged_at_the_door: ClassVar[bool] = False
    """`subject` names whose the event is, which the door's rule of who may say what judges
    (`services.authority`: another's is 403), not the contract (422)."""

    specversion: Literal["1.0"]
    id: EventId
    source: Source
    type: str
    time: EventTime
    subject: Id
    datacontenttype: Literal["application/json"] | None = None
    dataschema: DataSchema | None = None
    partner: Id
    incident: Id
    data: Payload
    partitionkey: Text | None = None
    traceparent: TraceParent | None = None
    tracestate: TraceState | None = None
    sequence: Text | None = None

    _dropped: ClassVar[tuple[str, ...]] = ()
    """Set on an event by `dropped_at_the_door` when the door dropped extensions: not an
    attribute, never written. A class default rather than a pydantic private attribute, which
    every event would pay for as it is made (a third of the gateway's batch rate)."""

    @property
    def dropped_extensions(self) -> tuple[str, ...]:
        """The extension attributes the event arrived with that were dropped at the door."""
        return self._dropped

    def dropped_at_the_door(self, names: tuple[str, ...]) -> None:
        """Note the extensions the door dropped from this event (a note, not an attribute)."""
        if names:
            object.__setattr__(self, "_dropped", names)  # pydantic refuses ClassVars on instances

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        # What the door (schemas.door) does before validation, said in JSON Schema: `data` may
        # come as `data_base64`, and other extensions are allowed by name (then dropped).
        schema = handler.resolve_ref_schema(handler(core_schema))
        properties = schema["properties"]
        properties[DATA_BASE64] = {
            "type": "string",
            "contentEncoding": "base64",
            "contentMediaType": "application/json",
            "contentSchema": properties["data"],
            "description": "data as base64 (RFC 4648) of its JSON, in place of data",
        }
        schema["required"].remove("data")
        schema["oneOf"] = [{"required": ["data"]}, {"required": [DATA_BASE64]}]
        schema["patternProperties"] = {
            EXTENSION_NAME_PATTERN: {
                "description": "an extension attribute other than those named here: accepted, "
                "but dropped before the event is stored, and named in the answer"
            }
        }
        return schema

    @model_validator(mode="after")
    def _attributes_agree(self) -> Self:
        mismatches: list[InitErrorDetails] = []
        segment = source_partner(self.source)
        if segment != self.partner:
            mismatches.append(
                _mismatch(
                    "source",
                    self.source,
                    f"partner segment {segment!r} must equal the partner attribute "
                    f"{self.partner!r}",
                )
            )
        expected = {path: self._value_at(path) for path in self.subject_is}
        if self.subject not in expected.values() and not self.subject_judged_at_the_door:
            alternatives = " or ".join(f"{path} ({value!r})" for path, value in expected.items())
            mismatches.append(_mismatch("subject", self.subject, f"must equal {alternatives}"))
        if mismatches:
            raise ValidationError.from_exception_data(type(self).__name__, mismatches)
        return self

    def _value_at(self, path: str) -> object:
        value: object = self
        for name in path.split("."):
            value = getattr(value, name)
        return value


def _mismatch(field: str, value: str, reason: str) -> InitErrorDetails:
    # The reason is passed through context so braces in ids cannot be read as placeholders.
    return InitErrorDetails(
        type=PydanticCustomError("attribute_mismatch", "{reason}", {"reason": reason}),
        loc=(field,),
        input=value,
    )
