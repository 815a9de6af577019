-- Performance (issue 6): indexes of the fact table that serve /v1/costs pages, and two small day rollups that answer
-- the summary endpoint, the dimensions endpoint and the /metrics gauges in milliseconds.

-- Partitioned indexes: each day partition gets its own copy, built after the day's COPY by the fact writer
-- (billing_portal/defs/facts/write.py) and adopted by ATTACH PARTITION. `fact_no` is the keyset order of
-- /v1/costs pages; (principal_id, fact_no) serves the most selective common filter (one principal).
CREATE INDEX IF NOT EXISTS hourly_cost_facts_fact_no ON hourly_cost_facts (fact_no);
CREATE INDEX IF NOT EXISTS hourly_cost_facts_principal ON hourly_cost_facts (principal_id, fact_no);

-- Day × business attributes (no principal, resource or cluster): business units, teams, cost centers.
CREATE TABLE cost_daily_business (
    usage_date        date          NOT NULL,
    product           text          NOT NULL,
    team              text,
    business_unit     text,
    business_product  text,
    cost_center       text,
    confidence        text          NOT NULL,
    amount_usd        numeric(20,8) NOT NULL,
    fact_rows         bigint        NOT NULL
);
CREATE INDEX cost_daily_business_date ON cost_daily_business (usage_date);

-- Day × principal with the principal's business attributes.
CREATE TABLE cost_daily_principal (
    usage_date        date          NOT NULL,
    principal_id      text          NOT NULL,
    principal_type    text,
    owner             text,
    team              text,
    business_unit     text,
    business_product  text,
    cost_center       text,
    amount_usd        numeric(20,8) NOT NULL,
    fact_rows         bigint        NOT NULL
);
CREATE INDEX cost_daily_principal_date ON cost_daily_principal (usage_date);

-- Days written before this migration: derive the new rollups from the stored facts (no-op on a fresh warehouse),
-- so the sidecar, which reads them as soon as they exist, answers exactly as from the facts.
INSERT INTO cost_daily_business (usage_date, product, team, business_unit, business_product, cost_center, confidence,
                                 amount_usd, fact_rows)
SELECT usage_date, product, team, business_unit, business_product, cost_center, confidence, sum(amount_usd), count(*)
FROM hourly_cost_facts GROUP BY 1, 2, 3, 4, 5, 6, 7;

INSERT INTO cost_daily_principal (usage_date, principal_id, principal_type, owner, team, business_unit,
                                  business_product, cost_center, amount_usd, fact_rows)
SELECT usage_date, principal_id, principal_type, owner, team, business_unit, business_product, cost_center,
       sum(amount_usd), count(*)
FROM hourly_cost_facts GROUP BY 1, 2, 3, 4, 5, 6, 7, 8;
