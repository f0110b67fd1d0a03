"""Agreements and the audit as people read them (a plain-text table) and as scripts do (JSON)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any

from services.sharing.agreements import Agreement
from services.sharing.audit import AuditEntry


def text_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [
        max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=False)
    ]
    lines = [
        "  ".join(str(cell).ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in (headers, *rows)
    ]
    return "\n".join(lines) + "\n"


def agreement_json(agreement: Agreement, at: datetime) -> dict[str, Any]:
    terms = agreement.terms
    return {
        "id": agreement.id,
        "status": str(agreement.status(at)),
        "from": terms.from_partner,
        "to": terms.to_partner,
        "types": list(terms.types),
        "fields": list(terms.fields),
        "pseudonymise": terms.pseudonymise,
        "purpose": terms.purpose,
        "starts": terms.starts.isoformat(),
        "review_by": terms.review_by.isoformat(),
        "created_at": agreement.created_at.isoformat(),
        "revoked_at": agreement.revoked_at.isoformat() if agreement.revoked_at else None,
    }


def agreements_text(agreements: Sequence[Agreement], at: datetime) -> str:
    if not agreements:
        return "no agreements\n"
    headers = (
        "ID",
        "STATUS",
        "FROM",
        "TO",
        "TYPES",
        "FIELDS",
        "PERSON_REF",
        "REVIEW BY",
        "PURPOSE",
    )
    rows = [
        (
            a.id,
            str(a.status(at)),
            a.terms.from_partner,
            a.terms.to_partner,
            ",".join(a.terms.types),
            ",".join(a.terms.fields),
            "pseudonymised" if a.terms.pseudonymise else "not shared",
            a.terms.review_by.isoformat(),
            a.terms.purpose,
        )
        for a in agreements
    ]
    return text_table(headers, rows)


def audit_json(entry: AuditEntry) -> dict[str, Any]:
    return {**asdict(entry), "shared_at": entry.shared_at.isoformat()}


def basis(entry: AuditEntry) -> str:
    if entry.agreement_id is not None:
        return f"agreement {entry.agreement_id}: {entry.purpose}"
    return f"referral by {entry.referred_by} (event {entry.referral_id})"


def audit_text(entries: Sequence[AuditEntry]) -> str:
    if not entries:
        return "no shares\n"
    headers = ("SHARED AT", "RECIPIENT", "TYPE", "EVENT ID", "REQUEST", "BASIS")
    rows = [
        (
            e.shared_at.isoformat(timespec="seconds"),
            e.recipient,
            e.type,
            e.id,
            e.request_id or "—",
            basis(e),
        )
        for e in entries
    ]
    return text_table(headers, rows)
