"""Whether every accepted event has reached the figures: the reconciler's last findings, as
`/metrics`, `/readyz`, `tandem status` and the Grafana alert read them (services/relay/
reconciler.py writes them).

The reconciler is a thread of the relay: when the relay is stopped or dead, so is it, and its
last findings grow stale while events go on being stored and reach no consumer. So readers do
not take a stale row at its word: they count and date the events stored after the position it
last found complete, which is what a round would find missing (see `completeness_sql`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from schemas.thresholds import BEHIND_SECONDS

UNCHECKED_SECONDS = 30.0
"""Completeness is unknown when the reconciler (every 5 s, in the relay) has not reported for
this long."""

SCAN_LIMIT = 100_000
"""Events the reconciler looks at in one round, and so the most `uncounted` can say."""


def completeness_sql(now: str = "now()", *, store: bool = True) -> str:
    """The reconciler's findings as of `now` (an SQL expression): its row while it reports.
    Once it has not for UNCHECKED_SECONDS, the events stored after its position are counted and
    dated instead; or, for a reader not allowed the `store` (Grafana's, which never reads
    events), the oldest could have been stored right after its last report, and is dated so:
    never later than it was, and early only while the relay is down anyway."""
    stale = (
        f"c.checked_at IS NULL"
        f" OR c.checked_at < {now}::timestamptz - interval '{UNCHECKED_SECONDS:g} seconds'"
    )
    after = "FROM events e WHERE (e.tx, e.seq) > (c.tx, c.seq)"
    uncounted, oldest = "c.uncounted", "least(c.oldest_uncounted_at, c.checked_at)"
    if store:
        uncounted = f"(SELECT count(*) FROM (SELECT {after} LIMIT {SCAN_LIMIT}) AS unchecked)"
        oldest = f"(SELECT e.received_at {after} ORDER BY e.tx, e.seq LIMIT 1)"
    return f"""
SELECT c.checked_at,
       CASE WHEN {stale} THEN {uncounted} ELSE c.uncounted END AS uncounted,
       CASE WHEN {stale} THEN {oldest} ELSE c.oldest_uncounted_at END AS oldest_uncounted_at,
       c.repairing, c.repairs_total, c.unconfirmed_total, {now}::timestamptz AS now
FROM completeness c
""".strip()


COMPLETENESS_SQL = completeness_sql()


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
        found = []
        if self.checked_at is None or (self.now - self.checked_at).total_seconds() > (
            UNCHECKED_SECONDS
        ):
            found.append("completeness unknown: the reconciler (in the relay) has not reported")
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
