-- The one definition of the daily reconciliation to the bill, read by GET /v1/reconciliation and the Grafana
-- reconciliation panels. Per UTC day of [first_day, last_day] (inclusive) that has a bill, quarantined rows or facts:
--   billed_usd        the day's bill: stored lines (billing_costs) + the amounts of quarantined bill rows
--   billed_lines_usd  the stored lines alone; bill_lines their count
--   allocated_usd     the hourly facts (through the cost_daily rollup, which the facts write keeps equal to them)
--   quarantined_usd   bill rows kept aside (quarantine_rows, source billing); quarantined_rows: all kept-aside rows
--   difference_usd    billed - allocated - quarantined: zero when every dollar is accounted for
--   unallocated_usd   the part of the facts on principal UNALLOCATED
--   balanced          difference_usd = 0
CREATE FUNCTION reconciliation_daily(first_day date, last_day date)
RETURNS TABLE (usage_date date, billed_usd numeric, billed_lines_usd numeric, bill_lines bigint,
               allocated_usd numeric, quarantined_usd numeric, quarantined_rows bigint, difference_usd numeric,
               unallocated_usd numeric, balanced boolean)
LANGUAGE sql STABLE AS $$
  WITH b AS (
    SELECT c.usage_date, sum(c.amount) AS a, count(*) AS n FROM billing_costs c
    WHERE c.usage_date BETWEEN first_day AND last_day GROUP BY 1
  ), q AS (
    SELECT r.usage_date, coalesce(sum(r.amount) FILTER (WHERE r.source = 'billing'), 0) AS a, count(*) AS n
    FROM quarantine_rows r WHERE r.usage_date BETWEEN first_day AND last_day GROUP BY 1
  ), f AS (
    SELECT d.usage_date, sum(d.amount_usd) AS a,
           coalesce(sum(d.amount_usd) FILTER (WHERE d.principal_id = 'UNALLOCATED'), 0) AS u
    FROM cost_daily d WHERE d.usage_date BETWEEN first_day AND last_day GROUP BY 1
  ), days AS (
    SELECT b.usage_date FROM b UNION SELECT q.usage_date FROM q UNION SELECT f.usage_date FROM f
  )
  SELECT days.usage_date,
         coalesce(b.a, 0) + coalesce(q.a, 0),
         coalesce(b.a, 0),
         coalesce(b.n, 0),
         coalesce(f.a, 0),
         coalesce(q.a, 0),
         coalesce(q.n, 0),
         coalesce(b.a, 0) - coalesce(f.a, 0),
         coalesce(f.u, 0),
         coalesce(b.a, 0) - coalesce(f.a, 0) = 0
  FROM days LEFT JOIN b USING (usage_date) LEFT JOIN q USING (usage_date) LEFT JOIN f USING (usage_date)
  ORDER BY 1
$$;
