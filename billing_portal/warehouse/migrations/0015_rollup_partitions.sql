-- Processing at the COPY limit (issue 15): the two large rollups of the principal facts are partitioned by day like
-- the facts, so the writer builds each day's rollup in a table created in its transaction (no WAL under
-- wal_level=minimal, no DELETE of the old rows) and swaps it in with the facts (billing_portal/warehouse/rollups.py).
--
-- cost_daily also keeps the allocation reason (the confidence KPIs read it instead of scanning the facts; it adds
-- almost no rows: a reason mostly follows its method). Its stored days are rolled up again from their facts.
--
-- cost_hourly_team keeps what its readers group and filter by at hour grain (the /metrics ledger's samples: org,
-- environment, cluster, product, business unit, team, cost center; Grafana's hourly series: business unit, team,
-- cluster): without line type, owner, business product and confidence it is several times smaller. Hourly questions
-- about those read the facts (at most 31 days, sidecar/query.py).

ALTER TABLE cost_hourly_team RENAME TO cost_hourly_team_before_0015;
CREATE TABLE cost_hourly_team (
    usage_date        date          NOT NULL,
    hour              timestamptz   NOT NULL,
    org_id            text,
    env_id            text,
    cluster_id        text,
    product           text          NOT NULL,
    team              text,
    business_unit     text,
    cost_center       text,
    amount_usd        numeric(20,8) NOT NULL,
    fact_rows         bigint        NOT NULL,
    charges_usd       numeric(20,8) NOT NULL
) PARTITION BY RANGE (hour);

ALTER TABLE cost_daily RENAME TO cost_daily_before_0015;
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
    allocation_reason text          NOT NULL,
    amount_usd        numeric(20,8) NOT NULL,
    fact_rows         bigint        NOT NULL,
    charges_usd       numeric(20,8) NOT NULL
) PARTITION BY RANGE (usage_date);

-- Days already rolled up: one partition each, the hourly rollup regrouped at its new grain (exact sums).
DO $$
DECLARE
    d date;
BEGIN
    FOR d IN SELECT usage_date FROM cost_daily_before_0015 UNION SELECT usage_date FROM cost_hourly_team_before_0015
             ORDER BY 1 LOOP
        EXECUTE format('CREATE TABLE %I PARTITION OF cost_daily FOR VALUES FROM (%L) TO (%L)',
                       'cost_daily_p' || to_char(d, 'YYYYMMDD'), d, d + 1);
        EXECUTE format('CREATE TABLE %I PARTITION OF cost_hourly_team FOR VALUES FROM (%L) TO (%L)',
                       'cost_hourly_team_p' || to_char(d, 'YYYYMMDD'), d::timestamp AT TIME ZONE 'UTC',
                       (d + 1)::timestamp AT TIME ZONE 'UTC');
    END LOOP;
END $$;

INSERT INTO cost_daily (usage_date, org_id, env_id, cluster_id, resource_id, resource_type, product, line_type,
                        principal_id, principal_type, owner, team, business_unit, business_product, cost_center,
                        confidence, allocation_method, allocation_reason, amount_usd, fact_rows, charges_usd)
SELECT usage_date, org_id, env_id, cluster_id, resource_id, resource_type, product, line_type, principal_id,
       principal_type, owner, team, business_unit, business_product, cost_center, confidence, allocation_method,
       allocation_reason, sum(amount_usd), count(*), coalesce(sum(amount_usd) FILTER (WHERE amount_usd > 0), 0)
FROM hourly_cost_facts WHERE usage_date IN (SELECT usage_date FROM cost_daily_before_0015)
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18;
INSERT INTO cost_hourly_team (usage_date, hour, org_id, env_id, cluster_id, product, team, business_unit, cost_center,
                              amount_usd, fact_rows, charges_usd)
SELECT usage_date, hour, org_id, env_id, cluster_id, product, team, business_unit, cost_center, sum(amount_usd),
       sum(fact_rows), sum(charges_usd)
FROM cost_hourly_team_before_0015 GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9;

-- The view of migration 0014 over cost_daily, on the new table.
DROP VIEW cost_daily_figures;
CREATE VIEW cost_daily_figures AS
SELECT d.*,
       d.amount_usd - d.charges_usd AS credits_usd,
       CASE WHEN d.principal_id = 'UNALLOCATED' THEN d.charges_usd ELSE 0 END AS unallocated_charges_usd,
       CASE WHEN d.principal_id = 'UNALLOCATED' THEN d.amount_usd - d.charges_usd ELSE 0 END
         AS unallocated_credits_usd,
       CASE WHEN attribute_known(d.team) THEN d.charges_usd ELSE 0 END AS team_known_usd,
       CASE WHEN attribute_known(d.business_unit) THEN d.charges_usd ELSE 0 END AS business_unit_known_usd,
       CASE WHEN attribute_known(d.cost_center) THEN d.charges_usd ELSE 0 END AS cost_center_known_usd
FROM cost_daily d;

DROP TABLE cost_daily_before_0015;
DROP TABLE cost_hourly_team_before_0015;
