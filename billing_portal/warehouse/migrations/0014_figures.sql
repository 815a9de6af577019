-- One definition of each quality figure (issue 16), read by GET /v1/confidence, /metrics, every Grafana panel and the
-- hourly_cost_facts asset checks; and the ownership worklist, read by GET /v1/ownership/worklist and the Confidence
-- dashboard. docs/ALLOCATION.md, "Figures", states the definitions in words.

-- 1. Charges and credits. A rollup row's `charges_usd` is the sum of its facts' positive amounts (>= 0); its credits
--    are amount_usd - charges_usd (<= 0). One rollup row can hold both (an outage credit on a cluster's KAFKA_BASE
--    line beside the charge, split over the same principals), so the split is made where facts are summed: the
--    rollup writers (warehouse/rollups.py; the topic rollup in assets/topics). Days written before this migration are
--    rolled up again from their stored facts below (exact, as migration 0003 did).
ALTER TABLE cost_daily ADD COLUMN charges_usd numeric(20,8) NOT NULL DEFAULT 0;
ALTER TABLE cost_hourly_team ADD COLUMN charges_usd numeric(20,8) NOT NULL DEFAULT 0;
ALTER TABLE cost_daily_business ADD COLUMN charges_usd numeric(20,8) NOT NULL DEFAULT 0;
ALTER TABLE cost_daily_principal ADD COLUMN charges_usd numeric(20,8) NOT NULL DEFAULT 0;
ALTER TABLE topic_cost_daily ADD COLUMN charges_usd numeric(20,8) NOT NULL DEFAULT 0;

-- 2. The definitions.
-- attribute_known(v): a team / business unit / cost center is known unless it is missing, empty, `unknown` or the
--   synthetic `unallocated` of principal UNALLOCATED.
CREATE FUNCTION attribute_known(value text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT coalesce(lower(btrim(value)), '') NOT IN ('', 'unknown', 'unallocated')
$$;

-- unallocated_share(unallocated charges, charges): the positive amounts on principal UNALLOCATED over all positive
--   amounts (gross charges). Credits are in neither: a credit can never net unallocated charges away (a day with
--   +36 of unallocated charges and a -40 promotional credit has a positive share); they are shown apart
--   (credits_usd). NULL when there are no charges.
CREATE FUNCTION unallocated_share(unallocated_charges_usd numeric, charges_usd numeric) RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT coalesce(unallocated_charges_usd, 0) / nullif(charges_usd, 0)
$$;

-- attribution_completeness(known charges, charges): the share of gross charges whose attribute (team, business
--   unit or cost center) is known. Beside confidence, not part of it: a row can be measured (high confidence on who
--   used the cluster) and still have no team. NULL when there are no charges.
CREATE FUNCTION attribution_completeness(known_charges_usd numeric, charges_usd numeric) RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT coalesce(known_charges_usd, 0) / nullif(charges_usd, 0)
$$;

-- cost_daily with the parts each figure sums: filter it like cost_daily, sum the parts, apply the functions above.
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

-- Those parts per day and scope (the scopes of cost_confidence_daily: total/all, each team, each business unit,
-- missing → 'unknown'), rebuilt with the day's rollups in the transaction that swaps its facts in
-- (refresh_cost_figures), so what the asset checks read is what the API, /metrics and the dashboards read.
CREATE TABLE cost_figures_daily (
    usage_date              date          NOT NULL,
    scope_type              text          NOT NULL,
    scope_value             text          NOT NULL,
    amount_usd              numeric(20,8) NOT NULL,
    charges_usd             numeric(20,8) NOT NULL,
    credits_usd             numeric(20,8) NOT NULL,
    unallocated_charges_usd numeric(20,8) NOT NULL,
    unallocated_credits_usd numeric(20,8) NOT NULL,
    team_known_usd          numeric(20,8) NOT NULL,
    business_unit_known_usd numeric(20,8) NOT NULL,
    cost_center_known_usd   numeric(20,8) NOT NULL,
    PRIMARY KEY (usage_date, scope_type, scope_value)
);

CREATE FUNCTION refresh_cost_figures(day date) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
  n bigint;
BEGIN
  DELETE FROM cost_figures_daily WHERE usage_date = day;
  INSERT INTO cost_figures_daily
  SELECT day,
         CASE WHEN GROUPING(f.t) = 0 THEN 'team' WHEN GROUPING(f.b) = 0 THEN 'business_unit' ELSE 'total' END,
         CASE WHEN GROUPING(f.t) = 0 THEN f.t WHEN GROUPING(f.b) = 0 THEN f.b ELSE 'all' END,
         coalesce(sum(f.amount_usd), 0), coalesce(sum(f.charges_usd), 0), coalesce(sum(f.credits_usd), 0),
         coalesce(sum(f.unallocated_charges_usd), 0), coalesce(sum(f.unallocated_credits_usd), 0),
         coalesce(sum(f.team_known_usd), 0), coalesce(sum(f.business_unit_known_usd), 0),
         coalesce(sum(f.cost_center_known_usd), 0)
  FROM (SELECT coalesce(c.team, 'unknown') AS t, coalesce(c.business_unit, 'unknown') AS b, c.*
        FROM cost_daily_figures c WHERE c.usage_date = day) f
  GROUP BY GROUPING SETS ((), (f.t), (f.b));
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END
$$;

-- Each figure of a row of cost_figures_daily (or of sums of its columns over days).
CREATE VIEW cost_figures AS
SELECT f.*,
       unallocated_share(f.unallocated_charges_usd, f.charges_usd) AS unallocated_share,
       attribution_completeness(f.team_known_usd, f.charges_usd) AS team_completeness,
       attribution_completeness(f.business_unit_known_usd, f.charges_usd) AS business_unit_completeness,
       attribution_completeness(f.cost_center_known_usd, f.charges_usd) AS cost_center_completeness
FROM cost_figures_daily f;

-- 3. The ownership worklist of [first_day, last_day]: the principals and resources carrying the most charges
--   without a known team, each with the mapping-file entry that would give it one. Whose mapping entry decides a
--   fact's team follows from its method: resource_owner and object_owner rows carry the resource's attributes,
--   env_owner rows the environment's, every other row its principal's. UNALLOCATED (no owner to find: see the
--   unallocated share) and synthetic team principals are left out.
--   section/entry: the mapping-file section (principals | resources) and the line to add under it, naming the
--   attributes that are unknown (team always; business_unit and cost_center when also unknown) as <placeholders>.
CREATE FUNCTION ownership_worklist(first_day date, last_day date, max_rows integer DEFAULT 50)
RETURNS TABLE (kind text, id text, id_type text, display_name text, owner text, unattributed_usd numeric,
               share numeric, days integer, section text, entry text)
LANGUAGE sql STABLE AS $$
  WITH c AS (
    SELECT CASE WHEN d.allocation_method IN ('resource_owner', 'object_owner') AND d.resource_id IS NOT NULL
                  THEN d.resource_id
                WHEN d.allocation_method = 'env_owner' AND d.env_id IS NOT NULL THEN d.env_id
                ELSE d.principal_id END AS subject,
           d.*
    FROM cost_daily d
    WHERE d.usage_date BETWEEN first_day AND last_day
  ), total AS (
    SELECT sum(charges_usd) AS charges FROM c
  ), gaps AS (
    SELECT c.subject, sum(c.charges_usd) AS unattributed, count(DISTINCT c.usage_date)::integer AS days,
           max(c.usage_date) AS seen, bool_and(NOT attribute_known(c.business_unit)) AS no_bu,
           bool_and(NOT attribute_known(c.cost_center)) AS no_cc,
           max(c.owner) FILTER (WHERE attribute_known(c.owner)) AS owner
    FROM c
    WHERE NOT attribute_known(c.team) AND c.subject <> 'UNALLOCATED' AND coalesce(c.principal_type, '') <> 'team'
    GROUP BY c.subject
    HAVING sum(c.charges_usd) > 0
    ORDER BY unattributed DESC, c.subject
    LIMIT max_rows
  )
  SELECT CASE WHEN p.principal_id IS NOT NULL OR g.subject ~ '^(sa|u|pool)-' THEN 'principal' ELSE 'resource' END,
         g.subject, coalesce(p.principal_type, r.resource_type), coalesce(p.display_name, r.display_name),
         g.owner, g.unattributed, g.unattributed / nullif(total.charges, 0), g.days,
         CASE WHEN p.principal_id IS NOT NULL OR g.subject ~ '^(sa|u|pool)-' THEN 'principals' ELSE 'resources' END,
         g.subject || ': {team: <team>'
           || CASE WHEN g.no_bu THEN ', business_unit: <business_unit>' ELSE '' END
           || CASE WHEN g.no_cc THEN ', cost_center: <cost_center>' ELSE '' END || '}'
  FROM gaps g CROSS JOIN total
  LEFT JOIN principal_attribution p ON p.usage_date = g.seen AND p.principal_id = g.subject
  LEFT JOIN resource_attribution r ON r.usage_date = g.seen AND r.resource_id = g.subject
  ORDER BY g.unattributed DESC, g.subject
$$;

-- 4. Days rolled up before this migration: rebuild their rollups from the stored facts, now with charges_usd (no-op
--    on a fresh warehouse; same groups as warehouse/rollups.py and assets/topics), and their figures.
DELETE FROM cost_daily;
INSERT INTO cost_daily (usage_date, org_id, env_id, cluster_id, product, line_type, owner, team, business_unit,
                        business_product, cost_center, confidence, resource_id, resource_type, principal_id,
                        principal_type, allocation_method, amount_usd, fact_rows, charges_usd)
SELECT usage_date, org_id, env_id, cluster_id, product, line_type, owner, team, business_unit, business_product,
       cost_center, confidence, resource_id, resource_type, principal_id, principal_type, allocation_method,
       sum(amount_usd), count(*), coalesce(sum(amount_usd) FILTER (WHERE amount_usd > 0), 0)
FROM hourly_cost_facts GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17;

DELETE FROM cost_hourly_team;
INSERT INTO cost_hourly_team (usage_date, hour, org_id, env_id, cluster_id, product, line_type, owner, team,
                              business_unit, business_product, cost_center, confidence, amount_usd, fact_rows,
                              charges_usd)
SELECT usage_date, hour, org_id, env_id, cluster_id, product, line_type, owner, team, business_unit,
       business_product, cost_center, confidence,
       sum(amount_usd), count(*), coalesce(sum(amount_usd) FILTER (WHERE amount_usd > 0), 0)
FROM hourly_cost_facts GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13;

DELETE FROM cost_daily_business;
INSERT INTO cost_daily_business (usage_date, product, team, business_unit, business_product, cost_center,
                                 confidence, amount_usd, fact_rows, charges_usd)
SELECT usage_date, product, team, business_unit, business_product, cost_center, confidence,
       sum(amount_usd), count(*), coalesce(sum(amount_usd) FILTER (WHERE amount_usd > 0), 0)
FROM hourly_cost_facts GROUP BY 1, 2, 3, 4, 5, 6, 7;

DELETE FROM cost_daily_principal;
INSERT INTO cost_daily_principal (usage_date, principal_id, principal_type, owner, team, business_unit,
                                  business_product, cost_center, amount_usd, fact_rows, charges_usd)
SELECT usage_date, principal_id, principal_type, owner, team, business_unit, business_product, cost_center,
       sum(amount_usd), count(*), coalesce(sum(amount_usd) FILTER (WHERE amount_usd > 0), 0)
FROM hourly_cost_facts GROUP BY 1, 2, 3, 4, 5, 6, 7, 8;

DELETE FROM topic_cost_daily;
INSERT INTO topic_cost_daily (usage_date, org_id, env_id, cluster_id, product, line_type, topic, owner, team,
                              business_unit, business_product, cost_center, allocation_method, allocation_reason,
                              confidence, amount_usd, fact_rows, charges_usd)
SELECT usage_date, org_id, env_id, cluster_id, product, line_type, topic, owner, team, business_unit,
       business_product, cost_center, allocation_method, allocation_reason, confidence,
       sum(amount_usd), count(*), coalesce(sum(amount_usd) FILTER (WHERE amount_usd > 0), 0)
FROM hourly_topic_facts GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15;

SELECT refresh_cost_figures(d.usage_date) FROM (SELECT DISTINCT usage_date FROM cost_daily) d;

-- From now on every writer states charges_usd.
ALTER TABLE cost_daily ALTER COLUMN charges_usd DROP DEFAULT;
ALTER TABLE cost_hourly_team ALTER COLUMN charges_usd DROP DEFAULT;
ALTER TABLE cost_daily_business ALTER COLUMN charges_usd DROP DEFAULT;
ALTER TABLE cost_daily_principal ALTER COLUMN charges_usd DROP DEFAULT;
ALTER TABLE topic_cost_daily ALTER COLUMN charges_usd DROP DEFAULT;
