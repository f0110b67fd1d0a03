-- Who may say what (services/authority): the owner of each request, hub, volunteer, deployment
-- and incident declaration, per incident, and the partners involved in each request. An
-- exercise run's own events have the run's id as their incident. The event store's writers
-- keep these in the transaction that stores the events, under one advisory lock, so they are
-- always what the stored events establish, in store order.
CREATE TABLE authority_owners (
    incident  text NOT NULL,
    kind      text NOT NULL CHECK (kind IN ('request', 'hub', 'volunteer', 'deployment', 'incident')),
    entity    text NOT NULL,
    partner   text NOT NULL,
    PRIMARY KEY (incident, kind, entity)
);

CREATE TABLE authority_involvement (
    incident    text NOT NULL,
    request_id  text NOT NULL,
    partner     text NOT NULL,
    PRIMARY KEY (incident, request_id, partner)
);

-- What each stored event claims, as services/authority/rules.py `about` says (a test
-- checks that both agree).
CREATE FUNCTION authority_claims(type text, subject text, body text)
RETURNS TABLE (kind text, entity text) LANGUAGE sql IMMUTABLE AS $$
    SELECT 'request', subject WHERE type LIKE 'resilience.request.%'
    UNION ALL
    SELECT 'hub', subject WHERE type LIKE 'resilience.hub.%' OR type LIKE 'resilience.stock.%'
    UNION ALL
    SELECT 'deployment', body::jsonb #>> '{data,deployment_id}'
    WHERE type IN ('resilience.volunteer.deployed.v1', 'resilience.volunteer.checked_in.v1',
                   'resilience.volunteer.checked_out.v1')
    UNION ALL
    SELECT 'volunteer', body::jsonb #>> '{data,volunteer_id}'
    WHERE type IN ('resilience.volunteer.registered.v1', 'resilience.volunteer.availability.v1',
                   'resilience.volunteer.deployed.v1', 'resilience.volunteer.stood_down.v1')
    UNION ALL
    SELECT 'incident', '' WHERE type LIKE 'resilience.incident.%'
$$;

-- The roles the stored events establish, in store order (seq), as the writers would have
-- recorded them: owners first (an entity's first event), then each referral in turn, which
-- counts when its partner owned the request or was already involved. Events stored before the
-- rule stay stored; a referral no one could have made grants nothing.
CREATE FUNCTION authority_backfill() RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    referral record;
BEGIN
    -- Live incidents first: an exercise run records an owner only where its history has none.
    INSERT INTO authority_owners (incident, kind, entity, partner)
    SELECT DISTINCT ON (e.incident, c.kind, c.entity) e.incident, c.kind, c.entity, e.partner
    FROM events e CROSS JOIN LATERAL authority_claims(e.type, e.subject, e.body) c
    WHERE NOT EXISTS (SELECT FROM exercise_runs r WHERE r.run = e.incident)
    ORDER BY e.incident, c.kind, c.entity, e.seq
    ON CONFLICT DO NOTHING;
    INSERT INTO authority_owners (incident, kind, entity, partner)
    SELECT DISTINCT ON (e.incident, c.kind, c.entity) e.incident, c.kind, c.entity, e.partner
    FROM events e JOIN exercise_runs r ON r.run = e.incident
    CROSS JOIN LATERAL authority_claims(e.type, e.subject, e.body) c
    WHERE NOT EXISTS (
        SELECT FROM authority_owners o
        WHERE (o.incident, o.kind, o.entity) = (r.incident, c.kind, c.entity)
    )
    ORDER BY e.incident, c.kind, c.entity, e.seq
    ON CONFLICT DO NOTHING;
    FOR referral IN
        SELECT e.incident, coalesce(r.incident, e.incident) AS replays, e.subject, e.partner,
               e.body::jsonb #>> '{data,to_partner}' AS to_partner
        FROM events e LEFT JOIN exercise_runs r ON r.run = e.incident
        WHERE e.type = 'resilience.request.referred.v1'
        ORDER BY e.seq
    LOOP
        IF EXISTS (
            SELECT FROM authority_owners
            WHERE incident IN (referral.incident, referral.replays) AND kind = 'request'
              AND entity = referral.subject AND partner = referral.partner
        ) OR EXISTS (
            SELECT FROM authority_involvement
            WHERE incident IN (referral.incident, referral.replays)
              AND request_id = referral.subject AND partner = referral.partner
        ) AND NOT EXISTS (
            SELECT FROM authority_involvement
            WHERE incident = referral.replays AND request_id = referral.subject
              AND partner = referral.to_partner
        ) THEN
            INSERT INTO authority_involvement (incident, request_id, partner)
            VALUES (referral.incident, referral.subject, referral.to_partner)
            ON CONFLICT DO NOTHING;
        END IF;
    END LOOP;
END
$$;

SELECT authority_backfill();
