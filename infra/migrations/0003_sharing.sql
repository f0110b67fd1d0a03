-- Data sharing between partners: agreements and their history, the secret behind pseudonyms,
-- the request lifecycles the router has seen (for referrals), each partner's inbox, and the
-- audit of every share. The rules themselves live in services/sharing/.

-- What was agreed and what was shared are records partners are accountable for (UK GDPR
-- art. 5(2)): a row is written once and kept as written, so changing or removing one is refused.
CREATE FUNCTION sharing_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP;
END
$$;

-- A data-sharing agreement as it was made. Status is derived, never stored: in force from the
-- start of `starts` (Europe/London) until revoked; due for review from `review_by` on.
-- `fields` are `data` field names (aliases, e.g. `from`); `person_ref` is never among them:
-- `pseudonymise` says whether it goes, always as a per-recipient pseudonym.
CREATE TABLE sharing_agreements (
    id            text PRIMARY KEY,
    from_partner  text NOT NULL REFERENCES partners (id),
    to_partner    text NOT NULL REFERENCES partners (id),
    types         text[] NOT NULL,
    fields        text[] NOT NULL,
    purpose       text NOT NULL,
    pseudonymise  boolean NOT NULL,
    starts        date NOT NULL,
    review_by     date NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    CHECK (from_partner <> to_partner),
    CHECK (review_by > starts),
    CHECK (cardinality(types) > 0)
);
CREATE INDEX sharing_agreements_pair ON sharing_agreements (from_partner, to_partner);

-- Revoking an agreement is a fact of its own, with its time; the agreement row stays as made.
CREATE TABLE sharing_agreement_revocations (
    agreement_id  text PRIMARY KEY REFERENCES sharing_agreements (id),
    revoked_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TRIGGER sharing_agreements_append_only BEFORE UPDATE OR DELETE ON sharing_agreements
    FOR EACH ROW EXECUTE FUNCTION sharing_refuse_change();
CREATE TRIGGER sharing_agreement_revocations_append_only
    BEFORE UPDATE OR DELETE ON sharing_agreement_revocations
    FOR EACH ROW EXECUTE FUNCTION sharing_refuse_change();

-- The key of the pseudonyms: made at random on first use and shared by every router instance,
-- so a person keeps one pseudonym per recipient. Replacing it would give everyone new ones.
-- Its own schema keeps it out of reach of roles granted SELECT on the tables of `public`
-- (the Grafana reader).
CREATE SCHEMA sharing_private;
CREATE TABLE sharing_private.sharing_secret (
    singleton   boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    key         bytea NOT NULL CHECK (length(key) = 32),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER sharing_secret_kept BEFORE UPDATE OR DELETE ON sharing_private.sharing_secret
    FOR EACH ROW EXECUTE FUNCTION sharing_refuse_change();

-- Every request lifecycle event the router has processed, whole: a referral shares the
-- request's earlier events too, so they must be at hand when it arrives (in any order).
CREATE TABLE sharing_request_events (
    source      text NOT NULL,
    id          text NOT NULL,
    incident    text NOT NULL,
    request_id  text NOT NULL,
    partner     text NOT NULL,
    event       jsonb NOT NULL,
    PRIMARY KEY (source, id)
);
CREATE INDEX sharing_request_events_request ON sharing_request_events (incident, request_id);

-- What each partner may read: the minimised events shared with it, in the order they were
-- shared. `seq` is the feed's cursor. Writers take a per-recipient transaction lock before
-- inserting, so a recipient's rows commit in `seq` order and a reader never skips one.
-- Each event goes to a recipient at most once: the same (source, id) is the same event.
CREATE TABLE inbox (
    recipient  text NOT NULL,
    seq        bigint GENERATED ALWAYS AS IDENTITY,
    source     text NOT NULL,
    id         text NOT NULL,
    event      jsonb NOT NULL,
    shared_at  timestamptz NOT NULL,
    PRIMARY KEY (recipient, seq),
    UNIQUE (recipient, source, id)
);

-- Every share, for `tandem audit`: whose event went to whom, when, and on what basis — an
-- agreement, or a referral (the referral event's source and id). Kept when inbox rows go.
CREATE TABLE sharing_audit (
    recipient        text NOT NULL,
    source           text NOT NULL,
    id               text NOT NULL,
    provider         text NOT NULL,
    type             text NOT NULL,
    incident         text NOT NULL,
    request_id       text,
    agreement_id     text REFERENCES sharing_agreements (id),
    referral_source  text,
    referral_id      text,
    inbox_seq        bigint NOT NULL,
    shared_at        timestamptz NOT NULL,
    PRIMARY KEY (recipient, source, id),
    CHECK ((agreement_id IS NULL) <> (referral_id IS NULL)),
    CHECK ((referral_source IS NULL) = (referral_id IS NULL))
);
CREATE INDEX sharing_audit_provider ON sharing_audit (provider, request_id, shared_at);
CREATE TRIGGER sharing_audit_append_only BEFORE UPDATE OR DELETE ON sharing_audit
    FOR EACH ROW EXECUTE FUNCTION sharing_refuse_change();
