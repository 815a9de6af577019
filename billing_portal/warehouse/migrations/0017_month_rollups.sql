-- A year of summaries from a few hundred thousand rows (issue 15, "API on a year"): the topic view's business rollup
-- and month rollups of the small day rollups (billing_portal/model/rollups.py; warehouse/derived_rollups.py keeps
-- them up to date in each day's write transaction). All are summed from another rollup: exact NUMERIC sums of the
-- amounts, the charges and the fact counts.

-- The topic view by its business attributes (as cost_daily_business is the principal view's, with the same
-- columns): what /v1/topics/summary groups by team, business unit, data product or cost center reads.
CREATE TABLE topic_cost_daily_business (LIKE cost_daily_business);
CREATE INDEX topic_cost_daily_business_date ON topic_cost_daily_business (usage_date);

-- One row per month (its first day, `usage_month`) and group of each small day rollup: the day rollup's columns.
CREATE TABLE cost_monthly_business (LIKE cost_daily_business);
ALTER TABLE cost_monthly_business RENAME COLUMN usage_date TO usage_month;
CREATE INDEX cost_monthly_business_month ON cost_monthly_business (usage_month);

CREATE TABLE cost_monthly_principal (LIKE cost_daily_principal);
ALTER TABLE cost_monthly_principal RENAME COLUMN usage_date TO usage_month;
CREATE INDEX cost_monthly_principal_month ON cost_monthly_principal (usage_month);

CREATE TABLE topic_cost_monthly_business (LIKE topic_cost_daily_business);
ALTER TABLE topic_cost_monthly_business RENAME COLUMN usage_date TO usage_month;
CREATE INDEX topic_cost_monthly_business_month ON topic_cost_monthly_business (usage_month);

-- The days and months already stored (the same statements as warehouse/derived_rollups.py, over every day at once).
INSERT INTO topic_cost_daily_business (usage_date, product, team, business_unit, business_product, cost_center,
                                       confidence, amount_usd, fact_rows, charges_usd)
SELECT usage_date, product, team, business_unit, business_product, cost_center, confidence, sum(amount_usd),
       sum(fact_rows), sum(charges_usd)
FROM topic_cost_daily GROUP BY 1, 2, 3, 4, 5, 6, 7;

INSERT INTO cost_monthly_business (usage_month, product, team, business_unit, business_product, cost_center,
                                   confidence, amount_usd, fact_rows, charges_usd)
SELECT date_trunc('month', usage_date::timestamp)::date, product, team, business_unit, business_product, cost_center,
       confidence, sum(amount_usd), sum(fact_rows), sum(charges_usd)
FROM cost_daily_business GROUP BY 1, 2, 3, 4, 5, 6, 7;

INSERT INTO cost_monthly_principal (usage_month, principal_id, principal_type, owner, team, business_unit,
                                    business_product, cost_center, amount_usd, fact_rows, charges_usd)
SELECT date_trunc('month', usage_date::timestamp)::date, principal_id, principal_type, owner, team, business_unit,
       business_product, cost_center, sum(amount_usd), sum(fact_rows), sum(charges_usd)
FROM cost_daily_principal GROUP BY 1, 2, 3, 4, 5, 6, 7, 8;

INSERT INTO topic_cost_monthly_business (usage_month, product, team, business_unit, business_product, cost_center,
                                         confidence, amount_usd, fact_rows, charges_usd)
SELECT date_trunc('month', usage_date::timestamp)::date, product, team, business_unit, business_product, cost_center,
       confidence, sum(amount_usd), sum(fact_rows), sum(charges_usd)
FROM topic_cost_daily_business GROUP BY 1, 2, 3, 4, 5, 6, 7;
