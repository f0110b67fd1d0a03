-- Exercise injects: what a facilitator's scenario does to an exercise run, and when. The
-- replay (issue 7) writes them; every dashboard shows them as annotations of the run, at their
-- scenario time (figures are by event time, and a run's events keep the incident's times).
CREATE TABLE exercise_injects (
    run              text NOT NULL,
    inject_id        text NOT NULL,
    scenario_time    timestamptz NOT NULL,
    fired_at         timestamptz,
    synopsis         text NOT NULL,
    target_partner   text,
    expected_action  text,
    status           text NOT NULL DEFAULT 'scheduled'
                     CHECK (status IN ('scheduled', 'fired', 'held', 'skipped')),
    PRIMARY KEY (run, inject_id)
);
CREATE INDEX exercise_injects_time ON exercise_injects (run, scenario_time);
