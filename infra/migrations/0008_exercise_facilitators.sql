-- Who may steer a run over HTTP: its facilitators (the exercise's control team), named when the
-- run is made (`tandem replay --facilitator P`) or later (`tandem replay facilitator RUN P`).
-- Players publish into the run but cannot pause, jump or inject it. The CLI, which the operator
-- runs with the database's own credentials, always may.
CREATE TABLE exercise_facilitators (
    run       text NOT NULL REFERENCES exercise_runs,
    partner   text NOT NULL REFERENCES partners,
    added_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (run, partner)
);
