#!/bin/bash
# First start of the PostgreSQL container only (docker-entrypoint-initdb.d): the Dagster instance database and a
# read-only role for Grafana on the warehouse ($POSTGRES_DB, created by the image itself).
set -euo pipefail

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
     -v dagster_db="$DAGSTER_PG_DB" -v reader="$GRAFANA_WAREHOUSE_USER" -v reader_pw="$GRAFANA_WAREHOUSE_PASSWORD" \
     -v owner="$POSTGRES_USER" -v warehouse="$POSTGRES_DB" <<'SQL'
SELECT format('CREATE DATABASE %I OWNER %I', :'dagster_db', :'owner')
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'dagster_db') \gexec

SELECT format('CREATE ROLE %I LOGIN PASSWORD %L', :'reader', :'reader_pw')
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'reader') \gexec
SELECT format('GRANT CONNECT ON DATABASE %I TO %I', :'warehouse', :'reader') \gexec
SELECT format('GRANT USAGE ON SCHEMA public TO %I', :'reader') \gexec
-- Tables are created later by the migrations (as the owner): grant SELECT on them in advance.
SELECT format('ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA public GRANT SELECT ON TABLES TO %I',
              :'owner', :'reader') \gexec
SELECT format('ALTER ROLE %I SET statement_timeout = %L', :'reader', '60s') \gexec
SQL
