-- Exercise runs: an archived incident replayed into its own namespace (topic
-- `exercise.{run}.events`, figures under `run`). A run's figures are by "run time": the
-- scenario time (the original event time) plus the run's `shift` (whole days, with
-- --shift-to-now; otherwise zero), so 2020 can read as today.
CREATE TABLE exercise_runs (
    run            text PRIMARY KEY CHECK (run ~ '^[a-z0-9][a-z0-9._-]{0,63}$' AND run <> 'live'),
    incident       text NOT NULL,
    scenario_from  timestamptz NOT NULL,
    scenario_to    timestamptz NOT NULL,
    shift          interval NOT NULL DEFAULT '0',
    created_at     timestamptz NOT NULL DEFAULT now(),
    -- Progress, written by the player with each batch it sends.
    reached        timestamptz,
    events_sent    bigint NOT NULL DEFAULT 0,
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CHECK (scenario_from <= scenario_to)
);

-- The run's clock, append-only: from wall time `at`, scenario time goes on from
-- `scenario_time` at `speed` times real time (NULL: as fast as events can be sent), or stands
-- still when the state is not 'running'. Every facilitator control appends a row, so the
-- history maps any exercise moment to its scenario moment (participants' events need it).
CREATE TABLE exercise_clock (
    run            text NOT NULL REFERENCES exercise_runs,
    seq            bigint GENERATED ALWAYS AS IDENTITY,
    at             timestamptz NOT NULL DEFAULT clock_timestamp(),
    control        text NOT NULL
                   CHECK (control IN ('start', 'pause', 'resume', 'stop', 'speed', 'jump', 'finish')),
    state          text NOT NULL CHECK (state IN ('running', 'paused', 'stopped', 'finished')),
    scenario_time  timestamptz NOT NULL,
    speed          double precision CHECK (speed > 0),
    PRIMARY KEY (run, seq)
);

CREATE FUNCTION exercise_clock_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'exercise_clock is append-only';
END
$$;
CREATE TRIGGER exercise_clock_append_only BEFORE UPDATE OR DELETE ON exercise_clock
    FOR EACH ROW EXECUTE FUNCTION exercise_clock_append_only();

-- When each event of a run was sent (replayed or added by an inject) or published by a
-- participant: its scenario time and its exercise (wall) time, both.
CREATE TABLE exercise_event_times (
    run            text NOT NULL,
    source         text NOT NULL,
    id             text NOT NULL,
    partner        text NOT NULL,
    type           text NOT NULL,
    origin         text NOT NULL CHECK (origin IN ('replay', 'inject', 'participant')),
    scenario_time  timestamptz NOT NULL,
    exercise_time  timestamptz NOT NULL,
    PRIMARY KEY (run, source, id)
);
CREATE INDEX exercise_event_times_partner ON exercise_event_times (run, partner, exercise_time);

-- Injects: what each one does (events it adds, a partner it silences) and when it fired in
-- exercise time; `held` waits for the facilitator's release, `skipped` never fires.
ALTER TABLE exercise_injects
    ADD COLUMN effect jsonb NOT NULL DEFAULT '{}',
    ADD COLUMN ad_hoc boolean NOT NULL DEFAULT false;

-- Lessons identified, as the facilitator writes them; carried into the debrief.
CREATE TABLE exercise_lessons (
    run       text NOT NULL REFERENCES exercise_runs,
    seq       bigint GENERATED ALWAYS AS IDENTITY,
    text      text NOT NULL CHECK (length(text) BETWEEN 1 AND 2000),
    added_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (run, seq)
);

DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'tandem_figures_reader') THEN
        GRANT SELECT ON exercise_runs, exercise_clock TO tandem_figures_reader;
    END IF;
END
$$;
