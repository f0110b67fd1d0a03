"""A request's data carrying a person_ref, and refused bodies with what redaction must leave of
them."""

from __future__ import annotations

from tests.support.raised_requests import raised_request

REF = "nhs-943-476-5919"


def raised_data(person_ref: str | None = REF) -> dict[str, object]:
    return raised_request(person_ref=person_ref)


REFUSED = [
    # (body, what must be left of it)
    (
        b'{"data": {"person_ref": "nhs-1", "need": "food"}}',
        b'{"data": {"person_ref": "redacted", "need": "food"}}',
    ),
    (
        b'[{"person_ref":"nhs-1"},{"person_ref" : "nhs-2"}]',
        b'[{"person_ref":"redacted"},{"person_ref" : "redacted"}]',
    ),
    (b'{"person_ref": 9434765919, "x": 1}', b'{"person_ref": "redacted", "x": 1}'),
    (b'{"Person_Ref": "nhs-1"', b'{"Person_Ref": "redacted"'),
    (b'{"data": {"person_ref": "nhs-9', b'{"data": {"person_ref": "redacted"'),  # cut short
    (b'"{\\"person_ref\\": \\"nhs-1\\"}"', b'"{\\"person_ref\\": \\"redacted\\"}"'),
    (b'\xff\x00{"person_ref": "nhs-1"}\x00', b'\xff\x00{"person_ref": "redacted"}\x00'),
    (b'{"need": "food"}', b'{"need": "food"}'),
]

EVADING = [
    # (body, the reference in it): spellings a hostile or careless partner sends, each of
    # which once kept its reference in the dead letters and on `events.rejected`.
    (b'{"data": {"person\\u005fref": "nhs-1010101010", "need": "x"}}', b"1010101010"),
    (b'{"data": {"\\u0050ERSON_REF": "nhs-1111111111"}}', b"1111111111"),
    (b'"{\\"person\\\\u005fref\\": \\"nhs-1212121212\\"}"', b"1212121212"),
    (b'{"person_ref": "nhs-13\\"13131313"}', b"13131313"),
    (b"request_id=r-1&person_ref=nhs-1414141414&need=food", b"1414141414"),
    (b"request_id=r-1&person%5Fref=nhs-1515151515", b"1515151515"),
    (b"data:\n  person_ref: nhs-1616161616\n  need: food\n", b"1616161616"),
    (b"request_id,need,person_ref\nr-1,food,nhs-1717171717\n", b"1717171717"),
]
