"""Referrals answered, per partner referred to: how many, the share accepted and declined, the
median hours to accept. One query, run by the exercise debrief and, its parameters turned into
Grafana's, by the partnership dashboard."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg

from schemas.lifecycle import ACCEPTED, DECLINED, REFERRED, STEP, steps

# Referrals made in the range, each (request, partner referred to) once, and that partner's
# first acceptance and first decline of the request after it, up to the end of the range.
REFERRAL_ANSWERS = f"""
WITH referred AS (
    SELECT request_id, to_partner AS partner, min(time) AS referred_at
    FROM request_events
    WHERE run = %(run)s AND incident = %(incident)s AND step = {STEP[REFERRED]}
      AND time BETWEEN %(from)s AND %(at)s
    GROUP BY request_id, to_partner
), answered AS (
    SELECT referred.partner, referred.referred_at,
           min(answer.time) FILTER (WHERE answer.step = {STEP[ACCEPTED]}) AS accepted_at,
           min(answer.time) FILTER (WHERE answer.step = {STEP[DECLINED]}) AS declined_at
    FROM referred
    LEFT JOIN request_events answer
      ON answer.run = %(run)s AND answer.incident = %(incident)s
     AND answer.request_id = referred.request_id
     AND answer.partner = referred.partner AND answer.step IN ({steps((ACCEPTED, DECLINED))})
     AND answer.time >= referred.referred_at AND answer.time <= %(at)s
    GROUP BY referred.partner, referred.request_id, referred.referred_at
)
SELECT partner AS "referred to",
       count(*) AS referrals,
       round(100.0 * count(accepted_at) / count(*), 1) AS "accepted %%",
       round(100.0 * count(declined_at) / count(*), 1) AS "declined %%",
       count(*) FILTER (WHERE accepted_at IS NULL AND declined_at IS NULL) AS unanswered,
       round((percentile_cont(0.5) WITHIN GROUP (
                  ORDER BY extract(epoch FROM accepted_at - referred_at)) / 3600)::numeric, 2)
           AS "median hours to accept"
FROM answered
GROUP BY partner
ORDER BY partner COLLATE "C"
""".strip()


@dataclass(frozen=True)
class ReferralAnswers:
    partner: str
    referrals: int
    accepted_percent: float | None
    median_hours_to_accept: float | None


def referral_answers(
    conn: psycopg.Connection[Any], run: str, incident: str, start: datetime, end: datetime
) -> list[ReferralAnswers]:
    """Per partner referred to: referrals, share accepted, median hours to accept (the
    partnership dashboard's query) for referrals made from `start` to `end`."""
    params = {"run": run, "incident": incident, "from": start, "at": end}
    rows = conn.execute(REFERRAL_ANSWERS, params)
    return [
        ReferralAnswers(partner, count, _float(accepted), _float(median))
        for partner, count, accepted, _declined, _unanswered, median in rows
    ]


def _float(value: Any) -> float | None:
    return None if value is None else float(value)
