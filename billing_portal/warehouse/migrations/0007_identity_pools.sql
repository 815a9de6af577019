-- Identity pools (OAuth and mTLS, iam/v2): `pool-…` principals get names, descriptions and owners like service
-- accounts. Per-day derived table and its history, as for the other objects (migration 0006).
CREATE TABLE identity_pools (
    snapshot_date date NOT NULL, pool_id text NOT NULL, display_name text, description text, identity_claim text,
    filter text, principal text, state text, provider_id text, raw jsonb NOT NULL,
    before_first_observation boolean NOT NULL DEFAULT false,
    PRIMARY KEY (snapshot_date, pool_id)
);
CREATE TABLE identity_pools_history (
    pool_id text NOT NULL, display_name text, description text, identity_claim text, filter text, principal text,
    state text, provider_id text, raw jsonb NOT NULL,
    version_id bigserial PRIMARY KEY,
    valid_from timestamptz NOT NULL,
    valid_to timestamptz,
    observed_first timestamptz NOT NULL,
    observed_last timestamptz NOT NULL,
    version_hash text NOT NULL
);
CREATE INDEX identity_pools_history_validity ON identity_pools_history (valid_from, valid_to);
CREATE INDEX identity_pools_history_current ON identity_pools_history (version_hash) WHERE valid_to IS NULL;
