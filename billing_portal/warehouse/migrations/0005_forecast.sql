-- The one definition of the month-end forecast, read by GET /v1/forecast and by every Grafana forecast panel.
--
-- forecast_window(month_day, limit_day): the parameters of the forecast of the month that contains `month_day`:
--   as_of          the newest day with facts (partition_status, asset hourly_cost_facts) that is <= the month's last
--                  day and <= limit_day (when given); NULL when no day with facts exists up to there
--   window_start/_end and window_days: the 7 days ending at as_of and how many of them have facts
--   days_loaded    days of the month up to as_of that have facts
--   days_missing   days of the month up to as_of without facts (never loaded: before BILLING_START_DATE, a gap)
--   remaining_days days of the month after as_of (the whole month when as_of is before it or NULL)
--   estimated_days remaining_days + days_missing: the days the forecast estimates at the run rate
--   complete       every day of the month has facts
-- forecast_run_rate(window_sum, window_days): the mean daily cost of the window's days with facts, rounded to 8
--   places (numeric round(): half away from zero), 0 without data.
-- forecast_month_end(actual, run_rate, estimated_days): actual + run_rate × estimated_days.
CREATE FUNCTION forecast_window(month_day date, limit_day date DEFAULT NULL)
RETURNS TABLE (month_start date, month_end date, as_of date, window_start date, window_end date,
               window_days integer, days_loaded integer, days_missing integer, remaining_days integer,
               estimated_days integer, complete boolean)
LANGUAGE sql STABLE AS $$
  WITH m AS (
    SELECT date_trunc('month', month_day)::date AS m0,
           (date_trunc('month', month_day) + interval '1 month - 1 day')::date AS m1
  ), loaded AS (
    SELECT DISTINCT s.usage_date FROM partition_status s WHERE s.asset_name = 'hourly_cost_facts'
  ), a AS (
    SELECT m.m0, m.m1,
           (SELECT max(l.usage_date) FROM loaded l
             WHERE l.usage_date <= m.m1 AND (limit_day IS NULL OR l.usage_date <= limit_day)) AS as_of
    FROM m
  )
  SELECT a.m0, a.m1, a.as_of,
         a.as_of - 6, a.as_of,
         (SELECT count(*) FROM loaded l WHERE l.usage_date BETWEEN a.as_of - 6 AND a.as_of)::integer,
         (SELECT count(*) FROM loaded l WHERE l.usage_date BETWEEN a.m0 AND a.as_of)::integer,
         (CASE WHEN a.as_of IS NULL OR a.as_of < a.m0 THEN 0
               ELSE (a.as_of - a.m0 + 1)
                    - (SELECT count(*) FROM loaded l WHERE l.usage_date BETWEEN a.m0 AND a.as_of)::integer END),
         (CASE WHEN a.as_of IS NULL OR a.as_of < a.m0 THEN a.m1 - a.m0 + 1 ELSE a.m1 - a.as_of END),
         (CASE WHEN a.as_of IS NULL OR a.as_of < a.m0 THEN a.m1 - a.m0 + 1
               ELSE (a.m1 - a.as_of) + (a.as_of - a.m0 + 1)
                    - (SELECT count(*) FROM loaded l WHERE l.usage_date BETWEEN a.m0 AND a.as_of)::integer END),
         (SELECT count(*) FROM loaded l WHERE l.usage_date BETWEEN a.m0 AND a.m1) = (a.m1 - a.m0 + 1)
  FROM a
$$;

CREATE FUNCTION forecast_run_rate(window_sum numeric, window_days integer)
RETURNS numeric LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN coalesce(window_days, 0) > 0 THEN round(coalesce(window_sum, 0) / window_days, 8)
              ELSE 0::numeric END
$$;

CREATE FUNCTION forecast_month_end(actual numeric, run_rate numeric, estimated_days integer)
RETURNS numeric LANGUAGE sql IMMUTABLE AS $$
  SELECT coalesce(actual, 0) + coalesce(run_rate, 0) * coalesce(estimated_days, 0)
$$;
