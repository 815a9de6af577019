-- Flink by statement owner (issue 13): the statements of each compute pool (regional Flink SQL API, present-only:
-- a deleted statement vanishes, so its principal is kept here as history like the other objects) and their CFUs
-- per hour (Metrics API io.confluent.flink/statement_utilization/current_cfus, captured like the other usage:
-- usage_capture rows with metric_set 'flink', `cluster_id` holding the compute pool id).

CREATE TABLE flink_statements (
    snapshot_date   date NOT NULL,
    env_id          text NOT NULL,
    statement_name  text NOT NULL,
    compute_pool_id text,
    principal_id    text,            -- the identity the statement runs as (sa-/u-/pool-), from spec.principal
    principal       text,            -- spec.principal as sent (an id or a CRN)
    phase           text,
    stopped         boolean,
    uid             text,
    scope           text NOT NULL,   -- env-…/cloud.region: the listing it came from (a scope not read keeps its rows)
    raw             jsonb NOT NULL,
    before_first_observation boolean NOT NULL DEFAULT false,
    PRIMARY KEY (snapshot_date, env_id, statement_name)
);
CREATE TABLE flink_statements_history (
    env_id text NOT NULL, statement_name text NOT NULL, compute_pool_id text, principal_id text, principal text,
    phase text, stopped boolean, uid text, scope text NOT NULL, raw jsonb NOT NULL,
    version_id bigserial PRIMARY KEY,
    valid_from timestamptz NOT NULL,
    valid_to timestamptz,
    observed_first timestamptz NOT NULL,
    observed_last timestamptz NOT NULL,
    version_hash text NOT NULL
);
CREATE INDEX flink_statements_history_validity ON flink_statements_history (valid_from, valid_to);
CREATE INDEX flink_statements_history_current ON flink_statements_history (version_hash) WHERE valid_to IS NULL;

CREATE TABLE flink_statement_usage_hourly (
    usage_date     date             NOT NULL,
    hour           timestamptz      NOT NULL,
    cluster_id     text             NOT NULL,   -- the compute pool (lfcp-…)
    statement_name text             NOT NULL,
    cfus           double precision NOT NULL DEFAULT 0   -- the hour's average of current_cfus
);
CREATE INDEX flink_statement_usage_hourly_day ON flink_statement_usage_hourly (usage_date, cluster_id);
