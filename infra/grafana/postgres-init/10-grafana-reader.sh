#!/bin/sh
# Run once by the postgres image on an empty data directory: a login for Grafana that can read
# the figures and nothing else. Its privileges come from the role `tandem_figures_reader`, to
# which the migrations (0006_figures_reader.sql) grant SELECT on the figures tables only.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
     -v reader="$TANDEM_PG_USER" -v password="$TANDEM_PG_PASSWORD" <<'SQL'
CREATE ROLE tandem_figures_reader NOLOGIN;
CREATE ROLE :"reader" LOGIN PASSWORD :'password' IN ROLE tandem_figures_reader;
GRANT CONNECT ON DATABASE :"DBNAME" TO :"reader";
SQL
