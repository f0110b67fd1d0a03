-- Figures: what the aggregator maintains from the event stream, per run ('live', or an exercise
-- run id) and incident. Facts tables keep each counted event once, keyed like the event store;
-- summaries and timelines are recomputed from the facts of the entities a batch touched, so the
-- same events in any order, any number of times, give the same rows. "As of T" is a range query.

CREATE EXTENSION IF NOT EXISTS btree_gist;

-- The ledger: every event counted, once per run. Re-delivery finds its key here and stops.
CREATE TABLE counted_events (
    run       text NOT NULL,
    source    text NOT NULL,
    id        text NOT NULL,
    incident  text NOT NULL,
    partner   text NOT NULL,
    type      text NOT NULL,
    time      timestamptz NOT NULL,
    PRIMARY KEY (run, source, id)
);
CREATE INDEX counted_events_time ON counted_events (run, incident, time);

-- Hourly series by event time (hours in UTC: date_trunc('hour', time, 'UTC')). metric:
-- events (key partner), raised (key need), fulfilled (key ''), accepted (key partner),
-- fulfilled_by (key partner), distributed (key item), volunteer_minutes (key partner).
CREATE TABLE hourly_figures (
    run       text NOT NULL,
    incident  text NOT NULL,
    metric    text NOT NULL,
    key       text NOT NULL,
    hour      timestamptz NOT NULL,
    value     bigint NOT NULL,
    PRIMARY KEY (run, incident, metric, key, hour)
);

-- Request lifecycle events. step orders the lifecycle for ties at the same time:
-- 1 raised, 2 triaged, 3 referred, 4 accepted, 5 declined, 6 fulfilled, 7 cancelled.
CREATE TABLE request_events (
    run                text NOT NULL,
    source             text NOT NULL,
    id                 text NOT NULL,
    incident           text NOT NULL,
    request_id         text NOT NULL,
    partner            text NOT NULL,
    time               timestamptz NOT NULL,
    step               smallint NOT NULL,
    need               text,
    priority           text,
    area               text,
    to_partner         text,
    reason             text,
    volunteer_minutes  int,
    PRIMARY KEY (run, source, id)
);
CREATE INDEX request_events_request ON request_events (run, incident, request_id);
CREATE INDEX request_events_step_time ON request_events (run, incident, step, time)
    INCLUDE (partner, to_partner, reason, request_id);

-- One row per request: its earliest raised and earliest fulfilled times.
CREATE TABLE requests (
    run           text NOT NULL,
    incident      text NOT NULL,
    request_id    text NOT NULL,
    raised_at     timestamptz,
    fulfilled_at  timestamptz,
    PRIMARY KEY (run, incident, request_id)
);
CREATE INDEX requests_raised ON requests (run, incident, raised_at);
CREATE INDEX requests_fulfilled ON requests (run, incident, fulfilled_at) INCLUDE (raised_at);

-- A request's state through time: one row per stretch of time in which its state, need and
-- priority stay the same. open = raised by then, and not fulfilled or cancelled.
CREATE TABLE request_timeline (
    run         text NOT NULL,
    incident    text NOT NULL,
    request_id  text NOT NULL,
    during      tstzrange NOT NULL,
    step        smallint NOT NULL,
    need        text,
    priority    text,
    area        text,
    open        boolean NOT NULL,
    raised_at   timestamptz
);
CREATE INDEX request_timeline_request ON request_timeline (run, incident, request_id);
CREATE INDEX request_timeline_open ON request_timeline USING gist (run, incident, during)
    WHERE open;

-- Volunteer events: kind registered, stood_down or availability.
CREATE TABLE volunteer_events (
    run           text NOT NULL,
    source        text NOT NULL,
    id            text NOT NULL,
    incident      text NOT NULL,
    volunteer_id  text NOT NULL,
    partner       text NOT NULL,
    time          timestamptz NOT NULL,
    kind          text NOT NULL,
    available     boolean,
    areas         text[],
    PRIMARY KEY (run, source, id)
);
CREATE INDEX volunteer_events_volunteer ON volunteer_events (run, incident, volunteer_id);

-- A volunteer's standing through time (registered and not stood down; available).
CREATE TABLE volunteer_timeline (
    run           text NOT NULL,
    incident      text NOT NULL,
    volunteer_id  text NOT NULL,
    during        tstzrange NOT NULL,
    registered    boolean NOT NULL,
    available     boolean NOT NULL,
    areas         text[]
);
CREATE INDEX volunteer_timeline_volunteer ON volunteer_timeline (run, incident, volunteer_id);
CREATE INDEX volunteer_timeline_registered ON volunteer_timeline USING gist (run, incident, during)
    WHERE registered;

-- Deployment events: kind deployed, checked_in or checked_out.
CREATE TABLE deployment_events (
    run            text NOT NULL,
    source         text NOT NULL,
    id             text NOT NULL,
    incident       text NOT NULL,
    deployment_id  text NOT NULL,
    volunteer_id   text,
    partner        text NOT NULL,
    time           timestamptz NOT NULL,
    kind           text NOT NULL,
    area           text,
    role           text,
    minutes        int,
    PRIMARY KEY (run, source, id)
);
CREATE INDEX deployment_events_kind_time ON deployment_events (run, incident, kind, time);

-- One row per deployment: earliest check-in and check-out.
CREATE TABLE deployments (
    run             text NOT NULL,
    incident        text NOT NULL,
    deployment_id   text NOT NULL,
    checked_in_at   timestamptz,
    checked_out_at  timestamptz,
    PRIMARY KEY (run, incident, deployment_id)
);
CREATE INDEX deployments_checked_in ON deployments (run, incident, checked_in_at);

-- One row per volunteer ever deployed: the earliest deployment.
CREATE TABLE volunteer_first_deployed (
    run           text NOT NULL,
    incident      text NOT NULL,
    volunteer_id  text NOT NULL,
    deployed_at   timestamptz NOT NULL,
    PRIMARY KEY (run, incident, volunteer_id)
);

-- Stock events: kind counted (sets the level), received, distributed.
CREATE TABLE stock_events (
    run         text NOT NULL,
    source      text NOT NULL,
    id          text NOT NULL,
    incident    text NOT NULL,
    hub_id      text NOT NULL,
    item        text NOT NULL,
    partner     text NOT NULL,
    time        timestamptz NOT NULL,
    kind        text NOT NULL,
    quantity    int NOT NULL,
    households  int,
    PRIMARY KEY (run, source, id)
);
CREATE INDEX stock_events_item_time ON stock_events (run, incident, hub_id, item, time);

CREATE TABLE hub_status (
    run              text NOT NULL,
    source           text NOT NULL,
    id               text NOT NULL,
    incident         text NOT NULL,
    hub_id           text NOT NULL,
    partner          text NOT NULL,
    time             timestamptz NOT NULL,
    name             text NOT NULL,
    area             text NOT NULL,
    status           text NOT NULL,
    parcels_per_day  int NOT NULL,
    PRIMARY KEY (run, source, id)
);
CREATE INDEX hub_status_hub_time ON hub_status (run, incident, hub_id, time);

CREATE TABLE partner_capacity (
    run               text NOT NULL,
    source            text NOT NULL,
    id                text NOT NULL,
    incident          text NOT NULL,
    partner           text NOT NULL,
    time              timestamptz NOT NULL,
    need              text NOT NULL,
    capacity_per_day  int NOT NULL,
    status            text NOT NULL,
    PRIMARY KEY (run, source, id)
);
CREATE INDEX partner_capacity_partner_time ON partner_capacity (run, incident, partner, time);

-- Incident declared / stood down: the annotations of every dashboard.
CREATE TABLE incident_events (
    run       text NOT NULL,
    source    text NOT NULL,
    id        text NOT NULL,
    incident  text NOT NULL,
    partner   text NOT NULL,
    time      timestamptz NOT NULL,
    kind      text NOT NULL,
    name      text,
    level     int,
    PRIMARY KEY (run, source, id)
);
CREATE INDEX incident_events_time ON incident_events (run, incident, time);
