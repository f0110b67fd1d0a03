-- Completeness: every stored event reaches the archive, the figures and the router. The relay
-- confirms each batch on the broker before it moves past it, and the reconciler compares the
-- store with what each consumer holds, republishing what went missing (services/relay/).

-- The router's ledger: each accepted event it has judged, once (shared or not), written with
-- its shares in one transaction. The archive and `counted_events` are the other ledgers.
CREATE TABLE routed_events (
    source  text NOT NULL,
    id      text NOT NULL,
    PRIMARY KEY (source, id)
);
-- Before this ledger, whatever reached the archive had been on the topic the router reads.
INSERT INTO routed_events (source, id) SELECT source, id FROM archive ON CONFLICT DO NOTHING;

-- When the relay had confirmed the store up to (tx, seq) on the broker: one row per batch of
-- the events outboxes, so the reconciler knows how long ago an event went out. Cleared when the
-- broker loses its log (everything goes out again) and pruned behind the reconciler.
CREATE TABLE relay_confirmations (
    tx            xid8 NOT NULL,
    seq           bigint NOT NULL,
    confirmed_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (tx, seq)
);

-- Events the reconciler found missing downstream, for the relay to publish again (an outbox).
CREATE TABLE republish (
    seq           bigint GENERATED ALWAYS AS IDENTITY,
    tx            xid8 NOT NULL DEFAULT pg_current_xact_id(),
    source        text NOT NULL,
    id            text NOT NULL,
    missing_from  text[] NOT NULL,
    requested_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (seq)
);
CREATE INDEX republish_relay_order ON republish (tx, seq);
CREATE INDEX republish_event ON republish (source, id, requested_at);

-- The reconciler's findings, one row, rewritten each round: what `/metrics`, `/readyz`,
-- `tandem status` and the Grafana alert read. `tx`/`seq`: every stored event up to this store
-- position is in every consumer that should hold it.
CREATE TABLE completeness (
    singleton           boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    tx                  xid8 NOT NULL DEFAULT '0',
    seq                 bigint NOT NULL DEFAULT 0,
    checked_at          timestamptz,
    uncounted           bigint NOT NULL DEFAULT 0,
    oldest_uncounted_at timestamptz,
    repairing           bigint NOT NULL DEFAULT 0,
    repairs_total       bigint NOT NULL DEFAULT 0,
    -- records the relay sent again because the broker did not hold them where it said
    unconfirmed_total   bigint NOT NULL DEFAULT 0
);
INSERT INTO completeness DEFAULT VALUES;

DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'tandem_figures_reader') THEN
        GRANT SELECT ON completeness TO tandem_figures_reader;
    END IF;
END
$$;
