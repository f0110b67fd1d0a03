-- Partners and their tokens: only a slow hash of each token is kept.
CREATE TABLE partners (
    id          text PRIMARY KEY,
    name        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE partner_tokens (
    token_id    text PRIMARY KEY,
    partner     text NOT NULL REFERENCES partners (id),
    salt        bytea NOT NULL,
    hash        bytea NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz
);

-- The event store: every accepted event, once. `tx` orders the relay: a row becomes visible to
-- it only when every older transaction has ended, so no event is skipped by a late commit.
-- `body` is the canonical JSON the gateway validated, kept as text: it is only ever relayed
-- (the archive holds the queryable jsonb).
CREATE TABLE events (
    seq          bigint GENERATED ALWAYS AS IDENTITY,
    tx           xid8 NOT NULL DEFAULT pg_current_xact_id(),
    source       text NOT NULL,
    id           text NOT NULL,
    type         text NOT NULL,
    partner      text NOT NULL,
    incident     text NOT NULL,
    subject      text NOT NULL,
    time         timestamptz NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now(),
    body         text NOT NULL,
    PRIMARY KEY (source, id)
);
CREATE UNIQUE INDEX events_seq ON events (seq);
CREATE INDEX events_relay_order ON events (tx, seq);

-- Bad input is never dropped: what was refused, from whom, and why.
CREATE TABLE dead_letters (
    seq          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tx           xid8 NOT NULL DEFAULT pg_current_xact_id(),
    received_at  timestamptz NOT NULL DEFAULT now(),
    channel      text NOT NULL,
    partner      text,
    status       int NOT NULL,
    problems     jsonb NOT NULL,
    payload      bytea NOT NULL
);
CREATE INDEX dead_letters_relay_order ON dead_letters (tx, seq);

-- Where the relay has got to in each outbox, and the last broker offset it saw per partition
-- (a lower offset later means the broker lost its log and everything is published again).
CREATE TABLE relay_positions (
    outbox  text PRIMARY KEY,
    tx      xid8 NOT NULL,
    seq     bigint NOT NULL
);
-- Bumped each time the relay finds the broker lost its log; every record carries it in the
-- `tandem-epoch` header, so consumers know their stored offsets belong to a log now gone.
CREATE TABLE broker_epoch (
    singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    epoch      int NOT NULL
);
INSERT INTO broker_epoch (epoch) VALUES (0);
CREATE TABLE relay_partition_offsets (
    topic        text NOT NULL,
    partition    int NOT NULL,
    last_offset  bigint NOT NULL,
    PRIMARY KEY (topic, partition)
);

-- Consumers that write to PostgreSQL keep their Kafka position here, in the same transaction
-- as what they wrote: exactly-once effect without broker transactions.
CREATE TABLE consumer_offsets (
    consumer     text NOT NULL,
    topic        text NOT NULL,
    partition    int NOT NULL,
    epoch        int NOT NULL,
    next_offset  bigint NOT NULL,
    PRIMARY KEY (consumer, topic, partition)
);

-- The archive: accepted events by incident and event time, as replays read them.
CREATE TABLE archive (
    source       text NOT NULL,
    id           text NOT NULL,
    incident     text NOT NULL,
    time         timestamptz NOT NULL,
    type         text NOT NULL,
    partner      text NOT NULL,
    subject      text NOT NULL,
    body         jsonb NOT NULL,
    archived_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, id)
);
CREATE INDEX archive_incident_time ON archive (incident, time);
