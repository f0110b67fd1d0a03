-- Grafana reads figures, never people: the role `tandem_figures_reader` may SELECT the figures
-- and the agreements, and nothing that holds a person_ref, a token or a payload (events,
-- archive, dead letters, inboxes, the sharing tables, partner tokens). Grafana's login is made
-- a member of it (infra/grafana/postgres-init). A database user without CREATEROLE skips the
-- role here; a DBA can create it and run these grants.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'tandem_figures_reader') THEN
        CREATE ROLE tandem_figures_reader NOLOGIN;
    END IF;
EXCEPTION WHEN insufficient_privilege THEN
    RAISE NOTICE 'tandem_figures_reader not created: no CREATEROLE privilege';
END
$$;

DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'tandem_figures_reader') THEN
        GRANT USAGE ON SCHEMA public TO tandem_figures_reader;
        GRANT SELECT ON counted_events, hourly_figures, request_events, requests,
            request_timeline, volunteer_events, volunteer_timeline, deployment_events,
            deployments, volunteer_first_deployed, stock_events, hub_status, partner_capacity,
            incident_events, exercise_injects, sharing_agreements,
            sharing_agreement_revocations
        TO tandem_figures_reader;
    END IF;
END
$$;
