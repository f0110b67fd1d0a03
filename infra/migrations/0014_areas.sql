-- Areas: the places of a deployment (wards, say), reference data loaded with `tandem areas
-- load`. Every load is a new version and every version is kept; the figures resolve an event's
-- `area` against the latest: an area code, or an alias (a partner's own code for an area).

CREATE TABLE area_versions (
    version    int GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    loaded_at  timestamptz NOT NULL DEFAULT now(),
    loaded_by  text NOT NULL,
    source     text NOT NULL,
    digest     text NOT NULL,
    areas      int NOT NULL
);

-- latitude, longitude: the area's centre (its boundary's centroid, or the point of a CSV row).
-- boundary: a GeoJSON Polygon or MultiPolygon in WGS84, null for an area given as a point.
CREATE TABLE areas (
    version    int NOT NULL REFERENCES area_versions,
    code       text NOT NULL,
    name       text NOT NULL,
    gss        text,
    latitude   double precision NOT NULL,
    longitude  double precision NOT NULL,
    boundary   jsonb,
    PRIMARY KEY (version, code)
);

CREATE TABLE area_aliases (
    version  int NOT NULL,
    alias    text NOT NULL,
    code     text NOT NULL,
    PRIMARY KEY (version, alias),
    FOREIGN KEY (version, code) REFERENCES areas
);

CREATE VIEW current_areas AS
SELECT code, name, gss, latitude, longitude, boundary FROM areas
WHERE version = (SELECT max(version) FROM area_versions);

-- Every value an event's `area` may hold that names a loaded area, with the area it names.
CREATE VIEW current_area_codes AS
SELECT code AS value, code FROM areas
WHERE version = (SELECT max(version) FROM area_versions)
UNION ALL
SELECT alias, code FROM area_aliases
WHERE version = (SELECT max(version) FROM area_versions);

-- Where a hub is, when its status event says so (optional in the contract).
ALTER TABLE hub_status ADD COLUMN latitude double precision,
                       ADD COLUMN longitude double precision;

-- A checked-out deployment's area is its deployed event's: found by deployment.
CREATE INDEX deployment_events_deployed ON deployment_events (run, incident, deployment_id)
    INCLUDE (area) WHERE kind = 'deployed';

DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'tandem_figures_reader') THEN
        GRANT SELECT ON area_versions, areas, area_aliases, current_areas, current_area_codes
        TO tandem_figures_reader;
    END IF;
END
$$;
