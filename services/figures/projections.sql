-- The figures' domain rules, each once, as set-based SQL over one batch (see writer.py).
-- `fresh` holds the batch's events not counted before; every statement is keyed by event or
-- recomputes an entity from all its stored facts, so replaying a batch changes nothing.
-- %(run)s is the run the batch belongs to. The request lifecycle is written in by name from
-- schemas/lifecycle.py when the file is loaded: `{raised}` a step, `{closing}` the steps that
-- close a request, `{step_of_type}` the step of an event's type.

-- name: request_events
INSERT INTO request_events (run, source, id, incident, request_id, partner, time, step, need,
                            priority, area, to_partner, reason, volunteer_minutes)
SELECT %(run)s, source, id, incident, data->>'request_id', partner, time,
       {step_of_type},
       data->>'need', data->>'priority', data->>'area', data->>'to_partner', data->>'reason',
       (data->>'volunteer_minutes')::int
FROM fresh WHERE starts_with(type, 'resilience.request.');

-- name: requests
-- Earliest raised and fulfilled per request; rows locked in key order, which also serialises
-- two workers recomputing the same request's timeline.
INSERT INTO requests (run, incident, request_id, raised_at, fulfilled_at)
SELECT %(run)s, incident, data->>'request_id',
       min(time) FILTER (WHERE type = 'resilience.request.raised.v1'),
       min(time) FILTER (WHERE type = 'resilience.request.fulfilled.v1')
FROM fresh WHERE starts_with(type, 'resilience.request.')
GROUP BY incident, data->>'request_id'
ORDER BY incident, data->>'request_id'
ON CONFLICT (run, incident, request_id) DO UPDATE
SET raised_at = LEAST(requests.raised_at, excluded.raised_at),
    fulfilled_at = LEAST(requests.fulfilled_at, excluded.fulfilled_at);

-- name: forget_request_timelines
DELETE FROM request_timeline t
USING (SELECT DISTINCT incident, data->>'request_id' AS request_id
       FROM fresh WHERE starts_with(type, 'resilience.request.')) touched
WHERE t.run = %(run)s AND t.incident = touched.incident AND t.request_id = touched.request_id;

-- name: request_timelines
-- A request's state is its latest lifecycle event by time, ties broken by lifecycle order;
-- its need and priority those of the latest raised or triaged event; it is open once raised
-- and until fulfilled or cancelled. One row per stretch between consecutive events.
INSERT INTO request_timeline (run, incident, request_id, during, step, need, priority, area,
                              open, raised_at)
SELECT run, incident, request_id, tstzrange(time, next_time), step,
       needs[cardinality(needs)], priorities[cardinality(priorities)], areas[cardinality(areas)],
       raised_yet AND step NOT IN ({closing}), raised_at
FROM (
    SELECT e.run, e.incident, e.request_id, e.time, e.step,
           lead(e.time) OVER ordered AS next_time,
           array_agg(e.need) FILTER (WHERE e.step IN ({assessing})) OVER so_far AS needs,
           array_agg(e.priority) FILTER (WHERE e.step IN ({assessing})) OVER so_far AS priorities,
           array_agg(e.area) FILTER (WHERE e.step IN ({locating})) OVER so_far AS areas,
           bool_or(e.step = {raised}) OVER so_far AS raised_yet,
           min(e.time) FILTER (WHERE e.step = {raised}) OVER whole AS raised_at
    FROM request_events e
    JOIN (SELECT DISTINCT incident, data->>'request_id' AS request_id
          FROM fresh WHERE starts_with(type, 'resilience.request.')) touched
      ON e.incident = touched.incident AND e.request_id = touched.request_id
    WHERE e.run = %(run)s
    WINDOW whole AS (PARTITION BY e.incident, e.request_id),
           ordered AS (whole ORDER BY e.time, e.step, e.id, e.source),
           so_far AS (ordered ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
) points
WHERE next_time IS NULL OR next_time > time;

-- name: volunteer_events
INSERT INTO volunteer_events (run, source, id, incident, volunteer_id, partner, time, kind,
                              available, areas)
SELECT %(run)s, source, id, incident, data->>'volunteer_id', partner, time,
       CASE type
           WHEN 'resilience.volunteer.registered.v1' THEN 'registered'
           WHEN 'resilience.volunteer.stood_down.v1' THEN 'stood_down'
           ELSE 'availability'
       END,
       (data->>'available')::boolean,
       CASE WHEN data ? 'areas'
            THEN ARRAY(SELECT jsonb_array_elements_text(data->'areas')) END
FROM fresh
WHERE type IN ('resilience.volunteer.registered.v1', 'resilience.volunteer.stood_down.v1',
               'resilience.volunteer.availability.v1');

-- name: forget_volunteer_timelines
DELETE FROM volunteer_timeline t
USING (SELECT DISTINCT incident, data->>'volunteer_id' AS volunteer_id FROM fresh
       WHERE type IN ('resilience.volunteer.registered.v1', 'resilience.volunteer.stood_down.v1',
                      'resilience.volunteer.availability.v1')) touched
WHERE t.run = %(run)s AND t.incident = touched.incident
  AND t.volunteer_id = touched.volunteer_id;

-- name: volunteer_timelines
-- Registered while the latest registered/stood_down event is a registration (a stand-down at
-- the same instant wins); available per the latest availability event, available when none.
INSERT INTO volunteer_timeline (run, incident, volunteer_id, during, registered, available, areas)
SELECT run, incident, volunteer_id, tstzrange(time, next_time),
       coalesce(standing[cardinality(standing)] = 'registered', false),
       coalesce(availability[cardinality(availability)], true),
       string_to_array(areas[cardinality(areas)], ',')
FROM (
    SELECT v.run, v.incident, v.volunteer_id, v.time,
           lead(v.time) OVER ordered AS next_time,
           array_agg(v.kind) FILTER (WHERE v.kind <> 'availability') OVER so_far AS standing,
           array_agg(v.available) FILTER (WHERE v.kind = 'availability') OVER so_far
               AS availability,
           array_agg(array_to_string(v.areas, ',')) FILTER (WHERE v.kind = 'registered')
               OVER so_far AS areas
    FROM volunteer_events v
    JOIN (SELECT DISTINCT incident, data->>'volunteer_id' AS volunteer_id FROM fresh
          WHERE type IN ('resilience.volunteer.registered.v1',
                         'resilience.volunteer.stood_down.v1',
                         'resilience.volunteer.availability.v1')) touched
      ON v.incident = touched.incident AND v.volunteer_id = touched.volunteer_id
    WHERE v.run = %(run)s
    WINDOW ordered AS (PARTITION BY v.incident, v.volunteer_id
                       ORDER BY v.time,
                                CASE v.kind WHEN 'registered' THEN 0
                                            WHEN 'availability' THEN 1 ELSE 2 END,
                                v.id, v.source),
           so_far AS (ordered ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
) points
WHERE next_time IS NULL OR next_time > time;

-- name: deployment_events
INSERT INTO deployment_events (run, source, id, incident, deployment_id, volunteer_id, partner,
                               time, kind, area, role, minutes)
SELECT %(run)s, source, id, incident, data->>'deployment_id', data->>'volunteer_id', partner,
       time, split_part(type, '.', 3), data->>'area', data->>'role', (data->>'minutes')::int
FROM fresh
WHERE type IN ('resilience.volunteer.deployed.v1', 'resilience.volunteer.checked_in.v1',
               'resilience.volunteer.checked_out.v1');

-- name: deployments
INSERT INTO deployments (run, incident, deployment_id, checked_in_at, checked_out_at)
SELECT %(run)s, incident, data->>'deployment_id',
       min(time) FILTER (WHERE type = 'resilience.volunteer.checked_in.v1'),
       min(time) FILTER (WHERE type = 'resilience.volunteer.checked_out.v1')
FROM fresh
WHERE type IN ('resilience.volunteer.checked_in.v1', 'resilience.volunteer.checked_out.v1')
GROUP BY incident, data->>'deployment_id'
ORDER BY incident, data->>'deployment_id'
ON CONFLICT (run, incident, deployment_id) DO UPDATE
SET checked_in_at = LEAST(deployments.checked_in_at, excluded.checked_in_at),
    checked_out_at = LEAST(deployments.checked_out_at, excluded.checked_out_at);

-- name: volunteer_first_deployed
INSERT INTO volunteer_first_deployed (run, incident, volunteer_id, deployed_at)
SELECT %(run)s, incident, data->>'volunteer_id', min(time)
FROM fresh WHERE type = 'resilience.volunteer.deployed.v1'
GROUP BY incident, data->>'volunteer_id'
ORDER BY incident, data->>'volunteer_id'
ON CONFLICT (run, incident, volunteer_id) DO UPDATE
SET deployed_at = LEAST(volunteer_first_deployed.deployed_at, excluded.deployed_at);

-- name: stock_events
INSERT INTO stock_events (run, source, id, incident, hub_id, item, partner, time, kind, quantity,
                          households)
SELECT %(run)s, source, id, incident, data->>'hub_id', data->>'item', partner, time,
       split_part(type, '.', 3), (data->>'quantity')::int, (data->>'households')::int
FROM fresh WHERE starts_with(type, 'resilience.stock.');

-- name: hub_status
INSERT INTO hub_status (run, source, id, incident, hub_id, partner, time, name, area, status,
                        parcels_per_day, latitude, longitude)
SELECT %(run)s, source, id, incident, data->>'hub_id', partner, time, data->>'name',
       data->>'area', data->>'status', (data->>'parcels_per_day')::int,
       (data->>'latitude')::double precision, (data->>'longitude')::double precision
FROM fresh WHERE type = 'resilience.hub.status.v1';

-- name: partner_capacity
INSERT INTO partner_capacity (run, source, id, incident, partner, time, need, capacity_per_day,
                              status)
SELECT %(run)s, source, id, incident, partner, time, data->>'need',
       (data->>'capacity_per_day')::int, data->>'status'
FROM fresh WHERE type = 'resilience.partner.capacity.v1';

-- name: incident_events
INSERT INTO incident_events (run, source, id, incident, partner, time, kind, name, level)
SELECT %(run)s, source, id, incident, partner, time, split_part(type, '.', 3), data->>'name',
       (data->>'level')::int
FROM fresh WHERE starts_with(type, 'resilience.incident.');

-- name: hourly_figures
INSERT INTO hourly_figures (run, incident, metric, key, hour, value)
SELECT %(run)s, incident, metric, key, date_trunc('hour', time, 'UTC'), sum(amount)
FROM (
    SELECT incident, 'events' AS metric, partner AS key, time, 1 AS amount FROM fresh
    UNION ALL
    SELECT incident, 'raised', data->>'need', time, 1 FROM fresh
    WHERE type = 'resilience.request.raised.v1'
    UNION ALL
    SELECT incident, 'fulfilled', '', time, 1 FROM fresh
    WHERE type = 'resilience.request.fulfilled.v1'
    UNION ALL
    SELECT incident, 'accepted', partner, time, 1 FROM fresh
    WHERE type = 'resilience.request.accepted.v1'
    UNION ALL
    SELECT incident, 'fulfilled_by', partner, time, 1 FROM fresh
    WHERE type = 'resilience.request.fulfilled.v1'
    UNION ALL
    SELECT incident, 'distributed', data->>'item', time, (data->>'quantity')::int FROM fresh
    WHERE type = 'resilience.stock.distributed.v1'
    UNION ALL
    SELECT incident, 'volunteer_minutes', partner, time, (data->>'minutes')::int FROM fresh
    WHERE type = 'resilience.volunteer.checked_out.v1'
) amounts
GROUP BY incident, metric, key, date_trunc('hour', time, 'UTC')
ORDER BY incident, metric, key, date_trunc('hour', time, 'UTC')
ON CONFLICT (run, incident, metric, key, hour) DO UPDATE
SET value = hourly_figures.value + excluded.value;
