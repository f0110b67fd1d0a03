"""5. Partnership health: each partner's part (events published, requests accepted and
fulfilled), how referred work is answered and how fast, each partner's capacity, and the
data-sharing agreements by review date."""

from __future__ import annotations

from grafana_foundation_sdk.models.dashboard import Dashboard

from dashboards.panels import (
    CAPACITY_COLOURS,
    bar_gauge_panel,
    state_timeline_panel,
    status_number,
    table_panel,
    tandem_dashboard,
    time_series_panel,
)
from dashboards.sitrep_sql import (
    CAPACITY,
    INCIDENT,
    PARTNER_ACTIVITY,
    RUN,
    grafana_sql,
    over_section,
    scope,
    section,
)
from schemas.lifecycle import ACCEPTED, REFERRED, STEP
from services.figures.referrals import REFERRAL_ANSWERS
from services.sharing.agreements import AgreementStatus

UID = "tandem-partnership"

EVENTS_PER_PARTNER = over_section(
    "partner_activity",
    PARTNER_ACTIVITY,
    "partner, sum(value)::bigint AS events",
    "WHERE metric = 'events'\nGROUP BY partner\nORDER BY events DESC, partner",
)

_CAPACITY = "\n".join("    " + line for line in section("capacity").splitlines())
# The sitrep's partner lines: activity and latest capacity, for partners that published.
PARTNERS = over_section(
    "partner_activity",
    PARTNER_ACTIVITY,
    "section.partner,"
    " sum(value) FILTER (WHERE metric = 'events')::bigint AS events,"
    " coalesce(sum(value) FILTER (WHERE metric = 'accepted'), 0)::bigint AS \"requests accepted\","
    " coalesce(sum(value) FILTER (WHERE metric = 'fulfilled_by'), 0)::bigint"
    ' AS "requests fulfilled",'
    " capacity.status AS capacity",
    f"""
LEFT JOIN (
{_CAPACITY}
) AS capacity ({", ".join(CAPACITY)}) ON capacity.partner = section.partner
GROUP BY section.partner, capacity.status
HAVING sum(value) FILTER (WHERE metric = 'events') > 0
ORDER BY section.partner COLLATE "C"
""",
)

EVENTS_PER_PARTNER_PER_DAY = f"""
SELECT $__timeGroupAlias(hour, 1d), key AS metric, sum(value) AS value
FROM hourly_figures
WHERE {scope()} AND metric = 'events' AND $__timeFilter(hour)
GROUP BY 1, 2
ORDER BY 1, 2
""".strip()

# Acceptances in the range of referred requests: hours since the latest referral of the request
# to the partner that accepted it.
TIME_TO_ACCEPT = f"""
SELECT $__timeGroupAlias(accepted.time, 6h),
       round((percentile_cont(0.5) WITHIN GROUP (
                  ORDER BY extract(epoch FROM accepted.time - referral.referred_at)) / 3600
             )::numeric, 2) AS "median hours to accept"
FROM request_events accepted
CROSS JOIN LATERAL (
    SELECT max(time) AS referred_at FROM request_events
    WHERE {scope()} AND request_id = accepted.request_id AND step = {STEP[REFERRED]}
      AND to_partner = accepted.partner AND time <= accepted.time
) AS referral
WHERE {scope("accepted")} AND accepted.step = {STEP[ACCEPTED]} AND $__timeFilter(accepted.time)
  AND referral.referred_at IS NOT NULL
GROUP BY 1
ORDER BY 1
""".strip()

# Agreements between the partners of the incident as they stand today (governance is about
# now, whatever the range), not revoked, soonest review first, with the status the agreements'
# own rule gives them (the view `agreement_status`, infra/migrations/0013).
AGREEMENTS_DUE = f"""
SELECT id AS agreement, from_partner AS "from", to_partner AS "to", purpose,
       review_by AS "review by",
       review_by - (now() AT TIME ZONE 'Europe/London')::date AS "days to review",
       status
FROM agreement_status
WHERE status <> 'revoked'
  AND from_partner IN (SELECT DISTINCT partner FROM counted_events
                       WHERE run = {RUN} AND incident = {INCIDENT})
ORDER BY review_by, id
""".strip()
AGREEMENT_COLOURS = {
    AgreementStatus.due_for_review.value: "orange",
    AgreementStatus.in_force.value: "green",
    AgreementStatus.scheduled.value: "blue",
}

# Each partner's capacity as reported whatever the need: its state at the start of the range,
# then every report in it. Statuses are numbered for the state timeline.
CAPACITY_THROUGH_TIME = f"""
SELECT $__time(reported), partner AS metric,
       {status_number("status", CAPACITY_COLOURS)} AS value
FROM (
    (SELECT DISTINCT ON (partner) $__timeFrom()::timestamptz AS reported, partner, status
     FROM partner_capacity
     WHERE {scope()} AND time < $__timeFrom()::timestamptz
     ORDER BY partner, time DESC, id COLLATE "C" DESC, source COLLATE "C" DESC)
    UNION ALL
    SELECT time, partner, status FROM partner_capacity
    WHERE {scope()} AND $__timeFilter(time)
) AS reports
ORDER BY 1, 2
""".strip()


def dashboard() -> Dashboard:
    return tandem_dashboard(
        UID,
        "Tandem · Partnership health",
        "Each partner's part (events published, requests accepted and fulfilled), how referrals"
        " are answered and how fast, capacity, and data-sharing agreements due for review.",
        "1m",
        [
            [
                bar_gauge_panel(
                    "Events published per partner",
                    EVENTS_PER_PARTNER,
                    description="Accepted events each partner published up to the end of the"
                    " range: recognition of each partner's part.",
                    width=8,
                    height=9,
                ),
                table_panel(
                    "Partners",
                    PARTNERS,
                    description="Per partner, up to the end of the range: events published,"
                    " requests it accepted and fulfilled, and its latest capacity report.",
                    width=16,
                    height=9,
                    colours=CAPACITY_COLOURS,
                ),
            ],
            [
                time_series_panel(
                    "Events published per partner per day",
                    EVENTS_PER_PARTNER_PER_DAY,
                    description="Accepted events per day (UTC), by publishing partner.",
                    bars=True,
                    stacked=True,
                    width=24,
                )
            ],
            [
                table_panel(
                    "Referrals: answers by the partner referred to",
                    grafana_sql(REFERRAL_ANSWERS),
                    description="Referrals made in the range, per partner referred to: the share"
                    " it accepted and declined by the end of the range, those still"
                    " unanswered, and the median hours from referral to acceptance.",
                    width=14,
                    height=9,
                ),
                time_series_panel(
                    "Time to accept a referral",
                    TIME_TO_ACCEPT,
                    description="Of the referred requests accepted in each 6 hours, the median"
                    " hours from referral to acceptance.",
                    unit="h",
                    width=10,
                    height=9,
                ),
            ],
            [
                state_timeline_panel(
                    "Capacity through time",
                    CAPACITY_THROUGH_TIME,
                    description="Each partner's latest capacity report, whatever the need:"
                    " normal, stretched or overwhelmed.",
                    colours=CAPACITY_COLOURS,
                )
            ],
            [
                table_panel(
                    "Data-sharing agreements by review date",
                    AGREEMENTS_DUE,
                    description="Agreements between this incident's partners as they stand today,"
                    " soonest review first; those past their review date are due for review.",
                    width=24,
                    height=8,
                    colours=AGREEMENT_COLOURS,
                )
            ],
        ],
    )
