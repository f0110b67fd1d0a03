-- The relay publishes each partner's inbox to `partner.{id}.inbox` in commit order, as it does
-- the event store: it needs each row's transaction id.
ALTER TABLE inbox ADD COLUMN tx xid8 NOT NULL DEFAULT pg_current_xact_id();
CREATE INDEX inbox_relay_order ON inbox (tx, seq);
