"""Data-sharing agreements: who shares which events' fields with whom, why, and until when.

An agreement is never edited. It is in force from the start of its `starts` day (UK time), or
from when it was made if later, until it is revoked; its review date does not end it (the
review is a prompt to the partners, shown in `tandem agreement list`), revocation does, at
once. It covers the events accepted while it is in force (`decide`).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, time
from enum import StrEnum
from zoneinfo import ZoneInfo

from schemas import ENVELOPE_MODELS
from schemas.ids import ID_PATTERN
from services.sharing.minimise import PERSON_REF, payload_fields

UK = ZoneInfo("Europe/London")
PURPOSE_MAX = 500


class AgreementStatus(StrEnum):
    scheduled = "scheduled"
    in_force = "in force"
    due_for_review = "due for review"
    revoked = "revoked"


@dataclass(frozen=True)
class Terms:
    """What the partners agreed. `fields` never holds `person_ref`: `pseudonymise` does."""

    from_partner: str
    to_partner: str
    types: tuple[str, ...]
    fields: tuple[str, ...]
    purpose: str
    pseudonymise: bool
    starts: date
    review_by: date


@dataclass(frozen=True)
class Agreement:
    id: str
    terms: Terms
    created_at: datetime
    revoked_at: datetime | None = None

    def in_force(self, at: datetime) -> bool:
        return self.status(at) in (AgreementStatus.in_force, AgreementStatus.due_for_review)

    def status(self, at: datetime) -> AgreementStatus:
        if self.revoked_at is not None and self.revoked_at <= at:
            return AgreementStatus.revoked
        if at < max(self.created_at, start_of_day(self.terms.starts)):
            return AgreementStatus.scheduled
        if at.astimezone(UK).date() >= self.terms.review_by:
            return AgreementStatus.due_for_review
        return AgreementStatus.in_force


def start_of_day(day: date) -> datetime:
    return datetime.combine(day, time(), UK)


def subject_fields(event_type: str) -> tuple[str, ...]:
    """The `data` fields an event's `subject` may repeat: sharing the event shares them."""
    paths = ENVELOPE_MODELS[event_type].subject_is
    return tuple(path.removeprefix("data.") for path in paths if path.startswith("data."))


def problems_with(terms: Terms, partners: Collection[str]) -> list[str]:
    """Why these terms cannot make an agreement (empty when they can), given the partners that
    exist. Checks the terms alone; overlap with other agreements is the store's to check."""
    problems = [
        f"no partner {partner!r}"
        for partner in dict.fromkeys((terms.from_partner, terms.to_partner))
        if partner not in partners or not re.fullmatch(ID_PATTERN, partner)
    ]
    if terms.from_partner == terms.to_partner:
        problems.append("an agreement is between two different partners")
    problems += _problems_with_types_and_fields(terms)
    if not terms.purpose.strip() or "\n" in terms.purpose or len(terms.purpose) > PURPOSE_MAX:
        problems.append(f"the purpose must be one line of 1 to {PURPOSE_MAX} characters")
    if terms.review_by <= terms.starts:
        problems.append(
            f"the review date {terms.review_by} must be after the start date {terms.starts}"
        )
    return problems


def _problems_with_types_and_fields(terms: Terms) -> list[str]:
    if not terms.types:
        return ["name at least one event type"]
    unknown = [t for t in terms.types if t not in ENVELOPE_MODELS]
    if unknown:
        return [
            f"unknown event type {t!r} (the event types are listed in docs/events.md)"
            for t in unknown
        ]
    problems = []
    available = {f for t in terms.types for f in payload_fields(t)}
    if PERSON_REF in terms.fields:
        problems.append(f"{PERSON_REF} is only shared as a pseudonym: use --pseudonymise")
    problems += [
        f"{field!r} is not a data field of {', '.join(terms.types)}"
        for field in terms.fields
        if field != PERSON_REF and field not in available
    ]
    if terms.pseudonymise and PERSON_REF not in available:
        problems.append(f"--pseudonymise: none of {', '.join(terms.types)} has a {PERSON_REF}")
    for event_type in terms.types:
        missing = [f for f in subject_fields(event_type) if f not in terms.fields]
        if missing:
            problems.append(
                f"the fields must include {', '.join(missing)}: the subject of "
                f"{event_type} events carries it"
            )
    return problems
