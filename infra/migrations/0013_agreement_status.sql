-- An agreement's status, once for SQL: the rule of services/sharing/agreements.py
-- (`Agreement.status`), which the router applies to each event at the time it was accepted.
-- Revoked from its revocation; else scheduled until the start of its `starts` day (UK time) or
-- until it was made, if later; due for review from its `review_by` day (UK time); else in force.
-- tests/services/sharing/test_agreement_status.py checks the two agree.
CREATE FUNCTION agreement_status_at(starts date, review_by date, created_at timestamptz,
                                    revoked_at timestamptz, at timestamptz)
RETURNS text LANGUAGE sql STABLE AS $$
    SELECT CASE
        WHEN revoked_at <= at THEN 'revoked'
        WHEN at < greatest(created_at, starts::timestamp AT TIME ZONE 'Europe/London')
            THEN 'scheduled'
        WHEN (at AT TIME ZONE 'Europe/London')::date >= review_by THEN 'due for review'
        ELSE 'in force'
    END
$$;

-- Every agreement with its status now: what readers in SQL (the partnership dashboard) read.
CREATE VIEW agreement_status AS
SELECT a.id, a.from_partner, a.to_partner, a.purpose, a.starts, a.review_by, a.created_at,
       r.revoked_at,
       agreement_status_at(a.starts, a.review_by, a.created_at, r.revoked_at, now()) AS status
FROM sharing_agreements a
LEFT JOIN sharing_agreement_revocations r ON r.agreement_id = a.id;

DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'tandem_figures_reader') THEN
        GRANT SELECT ON agreement_status TO tandem_figures_reader;
    END IF;
END
$$;
