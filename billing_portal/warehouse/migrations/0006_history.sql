-- History the Confluent APIs do not keep (issue 11).
--
-- Objects and the Stream Catalog describe only the present. Each collection is an *observation* (table
-- `observations`); what it saw is kept in `<table>_history` as versions with a validity interval
-- [valid_from, valid_to) per object / catalog entity: a new version when its attributes change, valid_to set when it is
-- no longer seen. History is only ever appended to or closed at the time of a new observation: re-running a past
-- day never rewrites it. The per-day tables (`organizations`, …, `catalog_tags`) are now *derived*: the versions valid
-- on that day (billing_portal/history/), with `before_first_observation` on the rows of days that precede the first
-- observation (they use the earliest one).
--
-- Usage is captured while the Metrics API still has it: `usage_capture` records, per day and cluster, when and from
-- which source usage was captured and whether that day was complete then. A complete capture is never replaced.

CREATE TABLE observations (
    observation_id bigserial   PRIMARY KEY,
    source         text        NOT NULL,              -- objects | catalog
    observed_at    timestamptz NOT NULL,
    run_id         text,
    counts         jsonb,                              -- rows seen per table
    changes        jsonb,                              -- new / changed / gone / unchanged per table
    skipped        jsonb                               -- scopes not observed (a 403 environment, a registry without key)
);
CREATE INDEX observations_source_time ON observations (source, observed_at);

-- A timestamp from text, NULL when it is not one (created_at in raw payloads).
CREATE FUNCTION try_timestamptz(value text) RETURNS timestamptz LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    RETURN value::timestamptz;
EXCEPTION WHEN others THEN
    RETURN NULL;
END $$;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['organizations', 'environments', 'kafka_clusters', 'service_accounts', 'users',
                             'api_keys', 'connectors', 'ksqldb_clusters', 'flink_compute_pools', 'schema_registries',
                             'catalog_entities', 'catalog_tags', 'catalog_business_metadata'] LOOP
        EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS)', t || '_history', t);
        EXECUTE format('ALTER TABLE %I DROP COLUMN snapshot_date,'
                       ' ADD COLUMN version_id bigserial PRIMARY KEY,'
                       ' ADD COLUMN valid_from timestamptz NOT NULL,'
                       ' ADD COLUMN valid_to timestamptz,'
                       ' ADD COLUMN observed_first timestamptz NOT NULL,'
                       ' ADD COLUMN observed_last timestamptz NOT NULL,'
                       ' ADD COLUMN version_hash text NOT NULL', t || '_history');
        EXECUTE format('CREATE INDEX %I ON %I (valid_from, valid_to)', t || '_history_validity', t || '_history');
        EXECUTE format('CREATE INDEX %I ON %I (version_hash) WHERE valid_to IS NULL', t || '_history_current',
                       t || '_history');
        EXECUTE format('ALTER TABLE %I ADD COLUMN before_first_observation boolean NOT NULL DEFAULT false', t);
    END LOOP;
END $$;

CREATE TABLE usage_capture (
    usage_date     date             NOT NULL,
    cluster_id     text             NOT NULL,
    source         text             NOT NULL,         -- metrics_api | prometheus
    captured_at    timestamptz      NOT NULL,
    complete       boolean          NOT NULL,         -- captured after the day had ended and settled
    row_count      integer          NOT NULL,
    request_bytes  double precision NOT NULL,
    response_bytes double precision NOT NULL,
    run_id         text,
    PRIMARY KEY (usage_date, cluster_id)
);

-- Cost whose usage-driven lines fell back because their usage expired before it was captured.
ALTER TABLE cost_confidence_daily ADD COLUMN usage_expired_usd numeric(20,8) NOT NULL DEFAULT 0;

-- Upgrading a warehouse filled by earlier versions: its newest snapshots become the first observation (observed when
-- that snapshot was written), and the usage already stored counts as captured when it was written.
DO $$
DECLARE
    t text;
    src text;
    cols text;
    hashed text;
    newest date;
    at timestamptz;
BEGIN
    FOREACH t IN ARRAY ARRAY['organizations', 'environments', 'kafka_clusters', 'service_accounts', 'users',
                             'api_keys', 'connectors', 'ksqldb_clusters', 'flink_compute_pools', 'schema_registries',
                             'catalog_entities', 'catalog_tags', 'catalog_business_metadata'] LOOP
        src := CASE WHEN t LIKE 'catalog_%' THEN 'catalog' ELSE 'objects' END;
        EXECUTE format('SELECT max(snapshot_date) FROM %I', t) INTO newest;
        CONTINUE WHEN newest IS NULL;
        SELECT max(materialized_at) INTO at FROM partition_status
         WHERE asset_name IN (t, CASE WHEN src = 'catalog' THEN 'catalog_tags' ELSE t END) AND usage_date = newest;
        at := coalesce(at, newest::timestamptz + interval '1 day');
        IF NOT EXISTS (SELECT 1 FROM observations WHERE source = src) THEN
            INSERT INTO observations (source, observed_at, run_id) VALUES (src, at, 'migration 0006');
        END IF;
        SELECT min(observed_at) INTO at FROM observations WHERE source = src;
        SELECT string_agg(quote_ident(column_name), ', ' ORDER BY ordinal_position),
               string_agg(quote_ident(column_name), ', ' ORDER BY ordinal_position)
                   FILTER (WHERE column_name <> 'raw')
          INTO cols, hashed
          FROM information_schema.columns
         WHERE table_schema = current_schema() AND table_name = t
           AND column_name NOT IN ('snapshot_date', 'before_first_observation');
        EXECUTE format('INSERT INTO %I (%s, valid_from, observed_first, observed_last, version_hash)'
                       ' SELECT %s, $1, $1, $1, md5(ROW(%s)::text) FROM %I WHERE snapshot_date = $2',
                       t || '_history', cols, cols, hashed, t) USING at, newest;
    END LOOP;
END $$;

INSERT INTO usage_capture (usage_date, cluster_id, source, captured_at, complete, row_count, request_bytes,
                           response_bytes, run_id)
SELECT u.usage_date, u.cluster_id, 'metrics_api', coalesce(s.materialized_at, u.usage_date + 1),
       coalesce(s.materialized_at, u.usage_date + 1) >= (u.usage_date + 1)::timestamptz, count(*),
       sum(u.request_bytes), sum(u.response_bytes), s.run_id
  FROM principal_usage_hourly u
  LEFT JOIN partition_status s ON s.asset_name = 'principal_usage' AND s.usage_date = u.usage_date
 GROUP BY u.usage_date, u.cluster_id, s.materialized_at, s.run_id;
