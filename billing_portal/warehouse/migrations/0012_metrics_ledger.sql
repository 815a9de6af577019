-- The ledger of hourly cost samples published on /metrics (billing_portal/defs/metrics/ledger.py), written by the
-- metrics_ledger asset after the facts of a day; the sidecar only reads it. IF NOT EXISTS: warehouses where an
-- older sidecar created these tables itself keep them.
CREATE TABLE IF NOT EXISTS sidecar_metric_ledger (
    hour          timestamptz   NOT NULL,
    org_id        text          NOT NULL,
    env_id        text          NOT NULL,
    cluster       text          NOT NULL,
    product       text          NOT NULL,
    business_unit text          NOT NULL,
    team          text          NOT NULL,
    cost_center   text          NOT NULL,
    revision      integer       NOT NULL,
    amount_usd    numeric(20,8) NOT NULL,
    published_at  timestamptz   NOT NULL DEFAULT now(),
    seq           bigserial,
    PRIMARY KEY (hour, org_id, env_id, cluster, product, business_unit, team, cost_center, revision)
);
ALTER TABLE sidecar_metric_ledger ADD COLUMN IF NOT EXISTS seq bigserial;
CREATE INDEX IF NOT EXISTS sidecar_metric_ledger_published ON sidecar_metric_ledger (published_at);
-- Per day, the materialization of the facts the ledger last compared.
CREATE TABLE IF NOT EXISTS sidecar_metric_sync (
    usage_date            date        PRIMARY KEY,
    facts_materialized_at timestamptz,
    synced_at             timestamptz NOT NULL
);
