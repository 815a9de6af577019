-- 0001: the warehouse. Every per-day table is replaced atomically per day by warehouse/replace.py.

-- Raw billing: one row per bill line after de-duplication (see confluent/normalize.py for the rule).
CREATE TABLE billing_costs (
    usage_date          date        NOT NULL,
    line_no             integer     NOT NULL,
    line_hash           text        NOT NULL,
    source_id           text,
    org_id              text,
    env_id              text,
    resource_id         text,
    resource_name       text,
    product             text        NOT NULL,
    line_type           text        NOT NULL,
    network_access_type text,
    granularity         text,
    price               numeric(28,12),
    unit                text,
    quantity            numeric(28,12),
    original_amount     numeric(20,8),
    discount_amount     numeric(20,8),
    amount              numeric(20,8) NOT NULL,
    description         text,
    tier_dimensions     jsonb,
    raw                 jsonb       NOT NULL,
    PRIMARY KEY (usage_date, line_no)
);

-- Input rows that could not be used: kept with the reason, never dropped.
CREATE TABLE quarantine_rows (
    source       text        NOT NULL,          -- billing | metrics | objects | catalog
    usage_date   date        NOT NULL,
    reason       text        NOT NULL,
    amount       numeric(20,8),                 -- the amount when it could be read, so billed = allocated + quarantined
    raw          text        NOT NULL,
    collected_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX quarantine_rows_day ON quarantine_rows (usage_date, source);

-- Core objects: a snapshot per day.
CREATE TABLE organizations (
    snapshot_date date NOT NULL, org_id text NOT NULL, display_name text, raw jsonb NOT NULL,
    PRIMARY KEY (snapshot_date, org_id)
);
CREATE TABLE environments (
    snapshot_date date NOT NULL, env_id text NOT NULL, display_name text, stream_governance_package text,
    created_at timestamptz, raw jsonb NOT NULL,
    PRIMARY KEY (snapshot_date, env_id)
);
CREATE TABLE kafka_clusters (
    snapshot_date date NOT NULL, cluster_id text NOT NULL, env_id text, display_name text, cluster_kind text,
    availability text, cloud text, region text, cku integer, phase text, raw jsonb NOT NULL,
    PRIMARY KEY (snapshot_date, cluster_id)
);
CREATE TABLE service_accounts (
    snapshot_date date NOT NULL, principal_id text NOT NULL, display_name text, description text, raw jsonb NOT NULL,
    PRIMARY KEY (snapshot_date, principal_id)
);
CREATE TABLE users (
    snapshot_date date NOT NULL, principal_id text NOT NULL, email text, full_name text, raw jsonb NOT NULL,
    PRIMARY KEY (snapshot_date, principal_id)
);
CREATE TABLE api_keys (
    snapshot_date date NOT NULL, key_id text NOT NULL, display_name text, description text,
    owner_id text, owner_kind text, resource_id text, resource_kind text, raw jsonb NOT NULL,
    PRIMARY KEY (snapshot_date, key_id)
);
CREATE TABLE connectors (
    snapshot_date date NOT NULL, connector_id text NOT NULL, connector_name text NOT NULL, env_id text,
    cluster_id text, connector_type text, connector_class text, auth_mode text, service_account_id text,
    api_key text, tasks_max integer, state text, raw jsonb NOT NULL,
    PRIMARY KEY (snapshot_date, connector_id)
);
CREATE TABLE ksqldb_clusters (
    snapshot_date date NOT NULL, ksqldb_id text NOT NULL, display_name text, env_id text, kafka_cluster_id text,
    credential_identity_id text, csu integer, raw jsonb NOT NULL,
    PRIMARY KEY (snapshot_date, ksqldb_id)
);
CREATE TABLE flink_compute_pools (
    snapshot_date date NOT NULL, pool_id text NOT NULL, display_name text, env_id text, cloud text, region text,
    max_cfu integer, raw jsonb NOT NULL,
    PRIMARY KEY (snapshot_date, pool_id)
);
CREATE TABLE schema_registries (
    snapshot_date date NOT NULL, sr_id text NOT NULL, display_name text, env_id text, http_endpoint text,
    catalog_http_endpoint text, raw jsonb NOT NULL,
    PRIMARY KEY (snapshot_date, sr_id)
);

-- Stream Governance catalog: entities, their tags and business metadata, a snapshot per day.
CREATE TABLE catalog_entities (
    snapshot_date date NOT NULL, sr_id text, entity_type text NOT NULL, qualified_name text NOT NULL,
    cluster_id text, topic text, name text, owner text, owner_email text, classification_names text[],
    raw jsonb NOT NULL
);
CREATE INDEX catalog_entities_day ON catalog_entities (snapshot_date, entity_type);
CREATE TABLE catalog_tags (
    snapshot_date date NOT NULL, sr_id text, entity_type text NOT NULL, qualified_name text NOT NULL,
    cluster_id text, topic text, tag text NOT NULL, attributes jsonb
);
CREATE INDEX catalog_tags_day ON catalog_tags (snapshot_date);
CREATE TABLE catalog_business_metadata (
    snapshot_date date NOT NULL, sr_id text, entity_type text NOT NULL, qualified_name text NOT NULL,
    cluster_id text, topic text, bm_type text NOT NULL, attributes jsonb
);
CREATE INDEX catalog_business_metadata_day ON catalog_business_metadata (snapshot_date);

-- Principal usage from the Metrics API: bytes per hour, cluster and principal.
CREATE TABLE principal_usage_hourly (
    usage_date     date             NOT NULL,
    hour           timestamptz      NOT NULL,
    cluster_id     text             NOT NULL,
    principal_id   text             NOT NULL,
    request_bytes  double precision NOT NULL DEFAULT 0,
    response_bytes double precision NOT NULL DEFAULT 0
);
CREATE INDEX principal_usage_hourly_day ON principal_usage_hourly (usage_date, cluster_id);

-- Resolved ownership and business metadata, per day.
CREATE TABLE principal_attribution (
    usage_date date NOT NULL, principal_id text NOT NULL, principal_type text, display_name text,
    owner text, team text, business_unit text, business_product text, cost_center text,
    attribution_source text NOT NULL,
    PRIMARY KEY (usage_date, principal_id)
);
CREATE TABLE resource_attribution (
    usage_date date NOT NULL, resource_id text NOT NULL, resource_type text, env_id text, cluster_id text,
    display_name text, owner text, owner_principal_id text, team text, business_unit text,
    business_product text, cost_center text, attribution_source text NOT NULL,
    PRIMARY KEY (usage_date, resource_id)
);

-- Hourly cost facts: natively partitioned by day on `hour`; each day partition is swapped in atomically.
CREATE TABLE hourly_cost_facts (
    usage_date        date          NOT NULL,
    hour              timestamptz   NOT NULL,
    fact_no           integer       NOT NULL,
    line_no           integer       NOT NULL,
    org_id            text,
    env_id            text,
    resource_id       text,
    resource_type     text,
    cluster_id        text,
    product           text          NOT NULL,
    line_type         text          NOT NULL,
    principal_id      text          NOT NULL,
    principal_type    text,
    owner             text,
    team              text,
    business_unit     text,
    business_product  text,
    cost_center       text,
    amount_usd        numeric(20,8) NOT NULL,
    allocation_method text          NOT NULL,
    allocation_reason text          NOT NULL,
    confidence        text          NOT NULL
) PARTITION BY RANGE (hour);

-- Confidence and coverage KPIs per day and scope.
CREATE TABLE cost_confidence_daily (
    usage_date        date          NOT NULL,
    scope_type        text          NOT NULL,   -- total | team | business_unit
    scope_value       text          NOT NULL,
    total_usd         numeric(20,8) NOT NULL,
    high_usd          numeric(20,8) NOT NULL,
    medium_usd        numeric(20,8) NOT NULL,
    low_usd           numeric(20,8) NOT NULL,
    by_usage_usd      numeric(20,8) NOT NULL,
    by_ownership_usd  numeric(20,8) NOT NULL,
    by_fallback_usd   numeric(20,8) NOT NULL,
    unallocated_usd   numeric(20,8) NOT NULL,
    PRIMARY KEY (usage_date, scope_type, scope_value)
);

-- What each asset last wrote for each day: totals for restatement and for /readyz.
CREATE TABLE partition_status (
    asset_name       text        NOT NULL,
    usage_date       date        NOT NULL,
    row_count        bigint      NOT NULL,
    amount_usd       numeric(20,8),
    run_id           text,
    materialized_at  timestamptz NOT NULL DEFAULT now(),
    details          jsonb,
    PRIMARY KEY (asset_name, usage_date)
);
