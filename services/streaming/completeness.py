"""Whether every accepted event has reached the figures: the reconciler's last findings, as
`/metrics`, `/readyz`, `tandem status` and the Grafana alert read them (services/relay/
reconciler.py writes them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from schemas.thresholds import BEHIND_SECONDS

UNCHECKED_SECONDS = 30.0
"""Completeness is unknown when the reconciler (every 5 s, in the relay) has not reported for
this long."""

COMPLETENESS_SQL = (
    "SELECT checked_at, uncounted, oldest_uncounted_at, repairing, repairs_total,"
    " unconfirmed_total, now() FROM completeness"
)


@dataclass(frozen=True)
class Completeness:
    checked_at: datetime | None
    uncounted: int  # events stored but not yet in every consumer that should hold them
    oldest_uncounted_at: datetime | None
    repairing: int  # events republished within the reconciler's bound
    repairs_total: int  # events republished since the deployment began
    unconfirmed_total: int  # records the relay sent again: acknowledged but not held
    now: datetime

    @property
    def oldest_uncounted_seconds(self) -> float:
        if self.oldest_uncounted_at is None:
            return 0.0
        return max(0.0, (self.now - self.oldest_uncounted_at).total_seconds())

    def problems(self) -> list[str]:
        """Why the figures cannot be taken as complete now; none when they can."""
        if self.checked_at is None or (self.now - self.checked_at).total_seconds() > (
            UNCHECKED_SECONDS
        ):
            return ["completeness unknown: the reconciler (in the relay) has not reported"]
        found = []
        if self.oldest_uncounted_seconds > BEHIND_SECONDS:
            found.append(
                f"figures behind: {self.uncounted} events stored but not yet counted, the"
                f" oldest {self.oldest_uncounted_seconds:.0f} s ago"
            )
        if self.repairing:
            found.append(f"repairing: {self.repairing} events published again")
        return found

    def summary(self) -> dict[str, object]:
        return {
            "uncounted": self.uncounted,
            "oldest_uncounted_seconds": round(self.oldest_uncounted_seconds, 1),
            "repairing": self.repairing,
            "repairs_total": self.repairs_total,
            "relay_resent_total": self.unconfirmed_total,
            "problems": self.problems(),
        }


def completeness_of(row: tuple[object, ...]) -> Completeness:
    checked_at, uncounted, oldest, repairing, repairs, unconfirmed, now = row
    assert isinstance(now, datetime)
    return Completeness(
        checked_at if isinstance(checked_at, datetime) else None,
        int(str(uncounted)),
        oldest if isinstance(oldest, datetime) else None,
        int(str(repairing)),
        int(str(repairs)),
        int(str(unconfirmed)),
        now,
    )
