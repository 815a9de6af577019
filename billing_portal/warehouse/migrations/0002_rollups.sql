-- Rollups of hourly_cost_facts, rebuilt for a day in the same transaction that replaces the day's facts
-- (billing_portal/warehouse/rollups.py). Dashboards, the summary endpoint and the /metrics gauges read these.

-- Day grain, every business dimension kept (resource and principal included): the workhorse for day/month/total
-- aggregates that need a principal or a resource.
CREATE TABLE cost_daily (
    usage_date        date          NOT NULL,
    org_id            text,
    env_id            text,
    cluster_id        text,
    resource_id       text,
    resource_type     text,
    product           text          NOT NULL,
    line_type         text          NOT NULL,
    principal_id      text          NOT NULL,
    principal_type    text,
    owner             text,
    team              text,
    business_unit     text,
    business_product  text,
    cost_center       text,
    confidence        text          NOT NULL,
    allocation_method text          NOT NULL,
    amount_usd        numeric(20,8) NOT NULL,
    fact_rows         bigint        NOT NULL
);
CREATE INDEX cost_daily_date ON cost_daily (usage_date);

-- Hour grain without principal and resource: hourly series per cluster / business unit / team (Grafana, /metrics).
CREATE TABLE cost_hourly_team (
    usage_date        date          NOT NULL,
    hour              timestamptz   NOT NULL,
    org_id            text,
    env_id            text,
    cluster_id        text,
    product           text          NOT NULL,
    line_type         text          NOT NULL,
    owner             text,
    team              text,
    business_unit     text,
    business_product  text,
    cost_center       text,
    confidence        text          NOT NULL,
    amount_usd        numeric(20,8) NOT NULL,
    fact_rows         bigint        NOT NULL
);
CREATE INDEX cost_hourly_team_date ON cost_hourly_team (usage_date);
CREATE INDEX cost_hourly_team_hour ON cost_hourly_team (hour);
