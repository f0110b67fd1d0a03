-- Sitrep editions: the situation report as issued, kept as it was. `figures` is the whole Sitrep
-- object (services/figures/sitrep.py) at `at` when it was issued, so late events never rewrite
-- it; `changes` are its figures' changes since the edition before (services/figures/changes.py)
-- and `late`, when late events have since changed that edition's figures, what it would read now.
-- Numbers are per incident, 1, 2, …: the primary key refuses a second edition of a number, and
-- the issuer takes a lock per incident (services/figures/editions.py) so none is ever skipped.
CREATE TABLE sitrep_editions (
    incident   text NOT NULL,
    number     integer NOT NULL CHECK (number > 0),
    at         timestamptz NOT NULL,
    issued_at  timestamptz NOT NULL,
    issued_by  text NOT NULL,
    figures    jsonb NOT NULL,
    changes    jsonb NOT NULL,
    late       jsonb,
    -- The scheduled time it was issued for (null when issued by hand): a slot is issued once.
    slot       timestamptz,
    PRIMARY KEY (incident, number),
    UNIQUE (incident, slot)
);

-- When each incident's editions are issued by themselves: local times of day in a time zone
-- (IANA name), by services/editions while the stack runs. `issued_through` is the latest slot
-- issued, so a restart neither issues a slot again nor skips one.
CREATE TABLE sitrep_schedules (
    incident        text PRIMARY KEY,
    times           time[] NOT NULL CHECK (cardinality(times) > 0),
    zone            text NOT NULL,
    created_at      timestamptz NOT NULL,
    issued_through  timestamptz NOT NULL
);

-- An edition holds counts only, as the sitrep does: Grafana's reader may read them.
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'tandem_figures_reader') THEN
        GRANT SELECT ON sitrep_editions, sitrep_schedules TO tandem_figures_reader;
    END IF;
END
$$;
