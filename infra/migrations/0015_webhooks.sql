-- Webhooks: a partner's inbox POSTed to an HTTP endpoint of its own (services/webhooks/). A row is
-- a subscription and its delivery state: the inbox position delivered up to, and what the event
-- after it has met so far. The deliverer writes the position and the attempt's outcome in one
-- UPDATE, so they commit together; the rules (signing, retries, parking, URLs) are in
-- services/sharing/webhooks.py and services/sharing/webhook_urls.py.
CREATE TABLE webhooks (
    id                 text PRIMARY KEY,
    partner            text NOT NULL REFERENCES partners (id),
    url                text NOT NULL,
    -- NULL: every type the inbox holds; otherwise events of other types are passed over.
    types              text[],
    created_at         timestamptz NOT NULL DEFAULT now(),
    removed_at         timestamptz,
    -- The inbox `seq` of the last event delivered or passed over (the feed's cursor).
    position           bigint NOT NULL CHECK (position >= 0),
    delivered          bigint NOT NULL DEFAULT 0,
    last_delivered_at  timestamptz,
    -- Failed attempts at the event after `position`, since when, and when to try again.
    attempts           integer NOT NULL DEFAULT 0,
    failing_since      timestamptz,
    next_attempt_at    timestamptz,
    last_error         text,
    -- Retried for the whole window without success: nothing more is sent until it is resumed.
    parked_at          timestamptz,
    CHECK ((attempts = 0) = (failing_since IS NULL))
);
CREATE INDEX webhooks_partner ON webhooks (partner) WHERE removed_at IS NULL;

-- The signing secret of each webhook. It signs every delivery, so it is kept as it is (a hash
-- could not sign), in the schema the figures' reader (Grafana) is not granted; it is shown once,
-- when the webhook is made, and removed with the webhook.
CREATE TABLE sharing_private.webhook_secrets (
    webhook_id  text PRIMARY KEY REFERENCES webhooks (id),
    secret      bytea NOT NULL CHECK (length(secret) = 32)
);
