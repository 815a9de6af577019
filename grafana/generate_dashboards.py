"""Generates grafana/dashboards/*.json (the committed files are its output; a test checks they are in sync).

    python grafana/generate_dashboards.py          # rewrite the JSON files
    python grafana/generate_dashboards.py --check  # exit 1 when a file differs from what would be generated

Every PostgreSQL panel reads the rollups (`cost_daily`: day grain with every dimension incl. principal and resource;
`cost_hourly_team`: hour grain without principal/resource; the variables' value lists read the smaller
`cost_daily_business` and `cost_daily_principal`) or small tables (billing_costs, quarantine_rows,
cost_confidence_daily, cost_figures, partition_status, principal_usage_hourly, object snapshots) — never
hourly_cost_facts, which
holds ~1.3 M rows per day for a large organization. Panels are driven by Grafana's time picker (`$__timeFilter`,
`$__timeFrom()`, `$__timeTo()`, `$__timeGroupAlias`) and the dashboard variables (multi-value, All = the custom all
value `'__all'`, so "All" never expands to thousands of literals). Amounts are NUMERIC sums, shown in USD.

The quality figures come from their one SQL definition (migration 0014), as in GET /v1/confidence, /metrics and the
asset checks: the unallocated share is `unallocated_share(unallocated charges, charges)` and attribution
completeness `attribution_completeness(known charges, charges)` over the parts of view `cost_daily_figures` (cost_daily
with charges and credits apart) or of `cost_figures` (per day and scope); credits never net unallocated charges away.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from billing_portal.model.facts import OWNER_COLUMNS
from billing_portal.model.tables import TABLE

HERE = Path(__file__).resolve().parent
OUT = HERE / "dashboards"

DS_PG = {"type": "grafana-postgresql-datasource", "uid": "bp-postgres"}
DS_PROM = {"type": "prometheus", "uid": "bp-prometheus"}
USD = "currencyUSD"
ALL_VALUE = "'__all'"

# --- variables ----------------------------------------------------------------------------------------------------
# Each dashboard variable filters one column of the warehouse model (billing_portal/model/): the business attributes
# (OWNER_COLUMNS), whose missing value the dashboards show as 'unknown', through coalesce; the ids as they are.
VARIABLE_COLUMN = {"env": "env_id", "cluster": "cluster_id", "business_unit": "business_unit", "team": "team",
                   "principal": "principal_id", "business_product": "business_product", "topic": "topic"}


def _filter(variable: str) -> str:
    col = VARIABLE_COLUMN[variable]
    value = f"coalesce({{p}}{col}, 'unknown')" if col in OWNER_COLUMNS else f"{{p}}{col}"
    return f"('__all' IN (${variable}) OR {value} IN (${variable}))"


FILTER = {v: _filter(v) for v in VARIABLE_COLUMN}

VARIABLE_SQL = {
    "env": ("Environment",
            "SELECT DISTINCT ON (env_id) coalesce(display_name, env_id) || ' (' || env_id || ')' AS __text,"
            " env_id AS __value FROM environments ORDER BY env_id, snapshot_date DESC"),
    "cluster": ("Kafka cluster",
                "SELECT DISTINCT ON (cluster_id) coalesce(display_name, cluster_id) || ' (' || cluster_id || ')'"
                " AS __text, cluster_id AS __value FROM kafka_clusters"
                " WHERE ('__all' IN ($env) OR env_id IN ($env)) ORDER BY cluster_id, snapshot_date DESC"),
    "business_unit": ("Business unit",
                      "SELECT DISTINCT coalesce(business_unit, 'unknown') AS __value FROM cost_daily_business"
                      " WHERE $__timeFilter(usage_date) ORDER BY 1"),
    "team": ("Team",
             "SELECT DISTINCT coalesce(team, 'unknown') AS __value FROM cost_daily_business"
             " WHERE $__timeFilter(usage_date)"
             " AND ('__all' IN ($business_unit) OR coalesce(business_unit, 'unknown') IN ($business_unit))"
             " ORDER BY 1"),
    "principal": ("Principal",
                  "SELECT principal_id || coalesce(' · ' || max(owner), '') AS __text, principal_id AS __value"
                  " FROM cost_daily_principal WHERE $__timeFilter(usage_date)"
                  " AND ('__all' IN ($team) OR coalesce(team, 'unknown') IN ($team))"
                  " GROUP BY principal_id ORDER BY sum(amount_usd) DESC LIMIT 1000"),
}
VARIABLE_ORDER = ("env", "cluster", "business_unit", "team", "principal")
# The topic dashboard's variables read the topic view (topic_cost_daily): its teams and data products are the
# topics' owners, not the principals'.
TOPIC_VARIABLE_SQL = {
    "env": VARIABLE_SQL["env"],
    "cluster": VARIABLE_SQL["cluster"],
    "business_unit": ("Business unit",
                      "SELECT DISTINCT coalesce(business_unit, 'unknown') AS __value FROM topic_cost_daily"
                      " WHERE $__timeFilter(usage_date) ORDER BY 1"),
    "business_product": ("Data product",
                         "SELECT DISTINCT coalesce(business_product, 'unknown') AS __value FROM topic_cost_daily"
                         " WHERE $__timeFilter(usage_date)"
                         " AND ('__all' IN ($business_unit) OR coalesce(business_unit, 'unknown') IN ($business_unit))"
                         " ORDER BY 1"),
    "team": ("Topic team",
             "SELECT DISTINCT coalesce(team, 'unknown') AS __value FROM topic_cost_daily"
             " WHERE $__timeFilter(usage_date)"
             " AND ('__all' IN ($business_product) OR coalesce(business_product, 'unknown') IN ($business_product))"
             " ORDER BY 1"),
    "topic": ("Topic",
              "SELECT topic AS __value FROM topic_cost_daily WHERE $__timeFilter(usage_date)"
              " AND ('__all' IN ($cluster) OR cluster_id IN ($cluster))"
              " AND ('__all' IN ($team) OR coalesce(team, 'unknown') IN ($team))"
              " GROUP BY topic ORDER BY sum(amount_usd) DESC LIMIT 1000"),
}
TOPIC_VARIABLE_ORDER = ("env", "cluster", "business_unit", "business_product", "team", "topic")


def variable(name: str, catalog: dict | None = None) -> dict:
    label, query = (catalog or VARIABLE_SQL)[name]
    return {"name": name, "label": label, "type": "query", "datasource": DS_PG, "query": query,
            "definition": query, "refresh": 2, "multi": True, "includeAll": True, "allValue": ALL_VALUE,
            "current": {"selected": True, "text": ["All"], "value": ["$__all"]}, "options": [], "sort": 0,
            "hide": 0, "skipUrlSync": False}


def where(variables: tuple[str, ...], prefix: str = "", skip: tuple[str, ...] = (), relation: str | None = None) -> str:
    """AND-ed filters of the dashboard variables that the relation can honour: with `relation` (a table of the
    model), only the variables whose column it has; `skip` leaves out others on purpose."""
    have = set(TABLE[relation].names()) if relation else None
    parts = [FILTER[v].format(p=prefix) for v in variables
             if v not in skip and (have is None or VARIABLE_COLUMN[v] in have)]
    return "".join(f"\n  AND {p}" for p in parts)


PREV_RANGE = ("usage_date BETWEEN $__timeFrom()::date - ($__timeTo()::date - $__timeFrom()::date + 1)"
              " AND $__timeFrom()::date - 1")
CLUSTER_NAMES = ("SELECT DISTINCT ON (cluster_id) cluster_id, display_name, cluster_kind, cloud, region"
                 " FROM kafka_clusters ORDER BY cluster_id, snapshot_date DESC")


# --- SQL builders ------------------------------------------------------------------------------------------------
def daily_series(dim: str, v, top: int = 10) -> str:
    """Daily cost per value of `dim` (top N over the range, the rest as 'other')."""
    return f"""WITH d AS (
  SELECT usage_date, coalesce({dim}, 'unknown') AS k, sum(amount_usd) AS a
  FROM cost_daily
  WHERE $__timeFilter(usage_date){where(v)}
  GROUP BY 1, 2
), top AS (SELECT k FROM d GROUP BY k ORDER BY sum(abs(a)) DESC LIMIT {top})
SELECT $__timeGroupAlias(usage_date, '1d'), CASE WHEN k IN (SELECT k FROM top) THEN k ELSE 'other' END AS metric,
       sum(a) AS value
FROM d GROUP BY 1, 2 ORDER BY 1, 2"""


def hourly_series(dim_sql: str, v, join: str = "") -> str:
    return f"""SELECT $__timeGroupAlias(hour, $__interval), {dim_sql} AS metric, sum(amount_usd) AS value
FROM cost_hourly_team h{join}
WHERE $__timeFilter(hour){where(v, 'h.', relation='cost_hourly_team')}
GROUP BY 1, 2 ORDER BY 1, 2"""


def total(v, extra: str = "") -> str:
    return f"SELECT sum(amount_usd) AS \"cost\" FROM cost_daily WHERE $__timeFilter(usage_date){where(v)}{extra}"


def by_dims(dims: list[tuple[str, str]], v, limit: int = 500, with_share: bool = True) -> str:
    cols = ", ".join(f"coalesce({c}, 'unknown') AS \"{label}\"" for c, label in dims)
    share = (",\n       sum(amount_usd) / nullif(sum(sum(amount_usd)) OVER (), 0) AS \"share\"" if with_share else "")
    return f"""SELECT {cols}, sum(amount_usd) AS "cost"{share}
FROM cost_daily
WHERE $__timeFilter(usage_date){where(v)}
GROUP BY {", ".join(str(i + 1) for i in range(len(dims)))}
ORDER BY "cost" DESC LIMIT {limit}"""


def movers(dim: str, label: str, v, limit: int = 20) -> str:
    return f"""WITH cur AS (
  SELECT coalesce({dim}, 'unknown') AS k, sum(amount_usd) AS a FROM cost_daily
  WHERE $__timeFilter(usage_date){where(v)}
  GROUP BY 1
), prev AS (
  SELECT coalesce({dim}, 'unknown') AS k, sum(amount_usd) AS a FROM cost_daily
  WHERE {PREV_RANGE}{where(v)}
  GROUP BY 1
)
SELECT coalesce(cur.k, prev.k) AS "{label}", coalesce(prev.a, 0) AS "previous period",
       coalesce(cur.a, 0) AS "this period", coalesce(cur.a, 0) - coalesce(prev.a, 0) AS "change",
       CASE WHEN prev.a <> 0 THEN (coalesce(cur.a, 0) - prev.a) / abs(prev.a) END AS "change %"
FROM cur FULL JOIN prev ON cur.k = prev.k
ORDER BY abs(coalesce(cur.a, 0) - coalesce(prev.a, 0)) DESC LIMIT {limit}"""


def forecast(dim: str | None, label: str, v) -> str:
    """Month-to-date and forecast of the month of the newest day with facts up to the range end, through the SQL
    definition GET /v1/forecast also uses (migration 0005: forecast_window, forecast_run_rate, forecast_month_end)."""
    key = f"coalesce({dim}, 'unknown')" if dim else "'total'"
    return f"""WITH p AS (
  SELECT w.* FROM (SELECT max(usage_date) AS d FROM partition_status
                   WHERE asset_name = 'hourly_cost_facts' AND usage_date <= $__timeTo()::date) x,
       LATERAL forecast_window(x.d) w
  WHERE x.d IS NOT NULL
), g AS (
  SELECT {key} AS k,
         coalesce(sum(amount_usd) FILTER (WHERE usage_date >= p.month_start), 0) AS actual,
         coalesce(sum(amount_usd) FILTER (WHERE usage_date >= p.window_start), 0) AS win
  FROM cost_daily, p
  WHERE usage_date >= least(p.month_start, p.window_start) AND usage_date <= p.as_of{where(v)}
  GROUP BY 1
)
SELECT g.k AS "{label}", p.as_of AS "as of", g.actual AS "month to date",
       forecast_run_rate(g.win, p.window_days) AS "run rate / day",
       forecast_month_end(g.actual, forecast_run_rate(g.win, p.window_days), p.estimated_days) AS "forecast (month)",
       p.days_missing AS "days without data"
FROM g CROSS JOIN p
ORDER BY "forecast (month)" DESC"""


def reconciliation_daily() -> str:
    """Bill vs allocation per day: the warehouse's one reconciliation (reconciliation_daily, migration 0013), as
    GET /v1/reconciliation reads it, with the unallocated charges and the credits apart (cost_daily_figures)."""
    return """SELECT r.usage_date::timestamp AT TIME ZONE 'UTC' AS "time", r.billed_usd AS "billed",
       r.allocated_usd AS "allocated", r.quarantined_usd AS "quarantined", r.difference_usd AS "difference",
       coalesce(f.u, 0) AS "unallocated charges", coalesce(f.c, 0) AS "credits"
FROM reconciliation_daily($__timeFrom()::date, $__timeTo()::date) r
LEFT JOIN (
  SELECT usage_date, sum(unallocated_charges_usd) AS u, sum(credits_usd) AS c FROM cost_daily_figures
  WHERE usage_date BETWEEN $__timeFrom()::date AND $__timeTo()::date GROUP BY 1
) f USING (usage_date)
ORDER BY 1"""


def unallocated_table(v) -> str:
    return f"""SELECT coalesce(env_id, '') AS "environment", coalesce(cluster_id, '') AS "cluster",
       coalesce(resource_id, '') AS "resource", product, line_type AS "line type",
       min(usage_date) AS "first day", max(usage_date) AS "last day", sum(amount_usd) AS "unallocated cost"
FROM cost_daily
WHERE principal_id = 'UNALLOCATED' AND $__timeFilter(usage_date){where(v, skip=('principal',))}
GROUP BY 1, 2, 3, 4, 5
ORDER BY abs(sum(amount_usd)) DESC LIMIT 500"""


def issues_table(v) -> str:
    """What to fix: unallocated cost, low-confidence allocations, cost without a team or business unit, and
    quarantined input rows (by source and reason)."""
    return f"""WITH c AS (
  SELECT * FROM cost_daily WHERE $__timeFilter(usage_date){where(v)}
)
SELECT 'unallocated' AS "issue", product || ' / ' || line_type AS "detail", count(DISTINCT usage_date) AS "days",
       sum(fact_rows) AS "rows", sum(amount_usd) AS "cost"
FROM c WHERE principal_id = 'UNALLOCATED' GROUP BY 1, 2
UNION ALL
SELECT 'low confidence', allocation_method, count(DISTINCT usage_date), sum(fact_rows), sum(amount_usd)
FROM c WHERE confidence = 'low' AND principal_id <> 'UNALLOCATED' GROUP BY 1, 2
UNION ALL
SELECT 'no team', coalesce(principal_type, 'unknown') || ' / ' || product, count(DISTINCT usage_date),
       sum(fact_rows), sum(amount_usd)
FROM c WHERE coalesce(team, 'unknown') = 'unknown' AND principal_id <> 'UNALLOCATED' GROUP BY 1, 2
UNION ALL
SELECT 'no business unit', coalesce(principal_type, 'unknown') || ' / ' || product, count(DISTINCT usage_date),
       sum(fact_rows), sum(amount_usd)
FROM c WHERE coalesce(business_unit, 'unknown') = 'unknown' AND principal_id <> 'UNALLOCATED' GROUP BY 1, 2
UNION ALL
SELECT 'quarantined (' || source || ')', reason, count(DISTINCT usage_date), count(*), coalesce(sum(amount), 0)
FROM quarantine_rows WHERE $__timeFilter(usage_date) GROUP BY 1, 2
ORDER BY "cost" DESC"""


def cost_per_gb(v) -> str:
    return f"""WITH cost AS (
  SELECT cluster_id, sum(amount_usd) AS c FROM cost_daily
  WHERE $__timeFilter(usage_date) AND product = 'KAFKA' AND cluster_id IS NOT NULL{where(v)}
  GROUP BY 1
), bytes AS (
  SELECT cluster_id, (sum(request_bytes) / 1e9)::numeric AS gb_in, (sum(response_bytes) / 1e9)::numeric AS gb_out
  FROM principal_usage_hourly
  WHERE $__timeFilter(usage_date){where(v, relation='principal_usage_hourly')}
  GROUP BY 1
), names AS ({CLUSTER_NAMES})
SELECT cost.cluster_id AS "cluster", names.display_name AS "name", cost.c AS "Kafka cost",
       bytes.gb_in AS "GB in", bytes.gb_out AS "GB out",
       cost.c / nullif(bytes.gb_in, 0) AS "USD per GB in", cost.c / nullif(bytes.gb_out, 0) AS "USD per GB out",
       cost.c / nullif(bytes.gb_in + bytes.gb_out, 0) AS "USD per GB in+out"
FROM cost LEFT JOIN bytes USING (cluster_id) LEFT JOIN names USING (cluster_id)
ORDER BY cost.c DESC"""


def confidence_trend() -> str:
    return """SELECT c.usage_date::timestamp AT TIME ZONE 'UTC' AS "time",
       c.high_usd / nullif(c.total_usd, 0) AS "high confidence share",
       (c.by_usage_usd + c.by_ownership_usd) / nullif(c.total_usd, 0) AS "coverage (usage + ownership)",
       c.by_fallback_usd / nullif(c.total_usd, 0) AS "fallback share",
       f.unallocated_share AS "unallocated share",
       f.team_completeness AS "team known (attribution completeness)",
       c.usage_expired_usd / nullif(c.total_usd, 0) AS "usage expired before capture"
FROM cost_confidence_daily c
LEFT JOIN cost_figures f USING (usage_date, scope_type, scope_value)
WHERE c.scope_type = 'total' AND $__timeFilter(c.usage_date)
ORDER BY 1"""


def unallocated_share(v) -> str:
    """The unallocated share of the selection (migration 0014: unallocated charges / charges, credits apart)."""
    return f"""SELECT unallocated_share(sum(unallocated_charges_usd), sum(charges_usd)) AS share
FROM cost_daily_figures WHERE $__timeFilter(usage_date){where(v)}"""


def completeness(attribute: str, v) -> str:
    """Attribution completeness of the selection: the share of its charges whose `attribute` is known."""
    return f"""SELECT attribution_completeness(sum({attribute}_known_usd), sum(charges_usd)) AS share
FROM cost_daily_figures WHERE $__timeFilter(usage_date){where(v)}"""


OWNERSHIP_WORKLIST = """SELECT kind, id, id_type AS "type", display_name AS "name", owner,
       unattributed_usd AS "cost without a team", share, days, section AS "mapping section",
       entry AS "mapping-file line"
FROM ownership_worklist($__timeFrom()::date, $__timeTo()::date, 50)"""


SKIPPED_SCOPES = """SELECT o.source, o.observed_at AS "observed at",
       coalesce(d ->> 'sr_id', d ->> 'env_id', d ->> 'table') AS "scope",
       coalesce(d ->> 'reason', '403: the key lacks ' || (d ->> 'role')) AS "reason"
FROM (SELECT DISTINCT ON (source) source, observed_at, skipped FROM observations
      WHERE observed_at <= $__timeTo() ORDER BY source, observed_at DESC) o,
     jsonb_array_elements(coalesce(o.skipped -> 'detail', '[]'::jsonb)) d
UNION ALL
SELECT 'none', NULL, NULL, 'every scope was read' WHERE NOT EXISTS (
  SELECT 1 FROM (SELECT DISTINCT ON (source) skipped FROM observations WHERE observed_at <= $__timeTo()
                 ORDER BY source, observed_at DESC) o2
  WHERE jsonb_array_length(coalesce(o2.skipped -> 'detail', '[]'::jsonb)) > 0)
ORDER BY 1, 3"""


# --- panels ------------------------------------------------------------------------------------------------------
class Layout:
    def __init__(self):
        self.x = self.y = self.row_h = 0
        self.next_id = 1

    def place(self, w: int, h: int) -> dict:
        if self.x + w > 24:
            self.x, self.y, self.row_h = 0, self.y + self.row_h, 0
        pos = {"x": self.x, "y": self.y, "w": w, "h": h}
        self.x += w
        self.row_h = max(self.row_h, h)
        return pos


def _target(sql: str, fmt: str) -> dict:
    return {"refId": "A", "datasource": DS_PG, "editorMode": "code", "format": fmt, "rawQuery": True, "rawSql": sql}


def panel(lay: Layout, kind: str, title: str, sql: str, *, w: int = 12, h: int = 8, unit: str = USD,
          fmt: str = "table", description: str = "", options: dict | None = None, overrides: list | None = None,
          custom: dict | None = None) -> dict:
    p = {"id": lay.next_id, "type": kind, "title": title, "description": description, "datasource": DS_PG,
         "gridPos": lay.place(w, h), "targets": [_target(sql, fmt)],
         "fieldConfig": {"defaults": {"unit": unit, "decimals": 2, **({"custom": custom} if custom else {})},
                         "overrides": overrides or []},
         "options": options or {}}
    lay.next_id += 1
    return p


def units(**cols: str) -> list:
    return [{"matcher": {"id": "byName", "options": name.replace("_", " ")},
             "properties": [{"id": "unit", "value": unit}]} for name, unit in cols.items()]


def ts(lay, title, sql, *, stacked=False, bars=False, **kw):
    custom = {"drawStyle": "bars" if bars else "line", "fillOpacity": 60 if bars else 10, "lineWidth": 1,
              "stacking": {"mode": "normal" if stacked else "none", "group": "A"}, "showPoints": "auto"}
    return panel(lay, "timeseries", title, sql, fmt="time_series", custom=custom,
                 options={"legend": {"displayMode": "table", "placement": "right", "calcs": ["sum"]},
                          "tooltip": {"mode": "multi", "sort": "desc"}}, **kw)


def stat(lay, title, sql, **kw):
    kw.setdefault("w", 4)
    kw.setdefault("h", 4)
    return panel(lay, "stat", title, sql, options={"reduceOptions": {"calcs": ["lastNotNull"], "fields": ""},
                                                    "colorMode": "value", "graphMode": "none"}, **kw)


def table(lay, title, sql, **kw):
    return panel(lay, "table", title, sql, options={"showHeader": True, "footer": {
        "show": True, "reducer": ["sum"], "fields": ["cost"], "countRows": False}}, **kw)


def pie(lay, title, sql, **kw):
    return panel(lay, "piechart", title, sql, options={"reduceOptions": {"values": True, "calcs": ["sum"]},
                                                        "legend": {"displayMode": "table", "placement": "right",
                                                                   "values": ["value", "percent"]},
                                                        "pieType": "donut"}, **kw)


def bargauge(lay, title, sql, **kw):
    return panel(lay, "bargauge", title, sql, options={"reduceOptions": {"values": True, "calcs": ["sum"]},
                                                        "orientation": "horizontal", "displayMode": "gradient"},
                 **kw)


def prom_stat(lay, title, expr, unit, description, thresholds=None, w=6, h=4):
    p = {"id": lay.next_id, "type": "stat", "title": title, "description": description, "datasource": DS_PROM,
         "gridPos": lay.place(w, h),
         "targets": [{"refId": "A", "datasource": DS_PROM, "expr": expr, "instant": True, "range": False}],
         "fieldConfig": {"defaults": {"unit": unit, "decimals": 2,
                                      **({"thresholds": thresholds} if thresholds else {})}, "overrides": []},
         "options": {"reduceOptions": {"calcs": ["lastNotNull"], "fields": ""}, "colorMode": "value"}}
    lay.next_id += 1
    return p


PCT = "percentunit"


def dashboard(uid: str, title: str, description: str, variables: tuple[str, ...], panels: list[dict],
              time_from: str = "now-30d", catalog: dict | None = None, order: tuple[str, ...] = VARIABLE_ORDER) -> dict:
    return {
        "uid": uid, "title": title, "description": description,
        "tags": ["confluent", "billing-portal", "finops"], "timezone": "utc", "editable": True,
        "graphTooltip": 1, "schemaVersion": 39, "version": 1, "refresh": "",
        "time": {"from": time_from, "to": "now"},
        "timepicker": {"refresh_intervals": ["5m", "15m", "1h", "6h", "1d"]},
        "templating": {"list": [variable(v, catalog) for v in order if v in variables]},
        "annotations": {"list": []},
        "links": [{"type": "dashboards", "tags": ["billing-portal"], "asDropdown": True, "title": "Dashboards",
                   "includeVars": True, "keepTime": True}],
        "panels": panels,
    }


# --- the dashboards ----------------------------------------------------------------------------------------------
def clevel() -> dict:
    v = ("env", "business_unit")
    lay = Layout()
    panels = [
        stat(lay, "Total cost", total(v), description="Allocated cost of the selected range (equals the bill)."),
        stat(lay, "Previous period", f"SELECT sum(amount_usd) AS cost FROM cost_daily WHERE {PREV_RANGE}{where(v)}",
             description="Cost of the same number of days just before the range."),
        stat(lay, "Change vs previous period", f"""SELECT (cur.a - prev.a) / nullif(abs(prev.a), 0) AS change
FROM (SELECT sum(amount_usd) AS a FROM cost_daily WHERE $__timeFilter(usage_date){where(v)}) cur,
     (SELECT sum(amount_usd) AS a FROM cost_daily WHERE {PREV_RANGE}{where(v)}) prev""", unit=PCT),
        stat(lay, "Month to date", f"""SELECT "month to date" FROM ({forecast(None, 'scope', v)}) t""",
             description="Cost of the month of the newest complete day (≤ the range end) up to that day."),
        stat(lay, "Forecast (month)", f"""SELECT "forecast (month)" FROM ({forecast(None, 'scope', v)}) t""",
             description="Month to date + trailing 7-day mean daily cost × the days without data (as GET /v1/forecast)."),
        stat(lay, "Unallocated share", unallocated_share(v), unit=PCT,
             description="Unallocated charges / charges: positive amounts on UNALLOCATED over all positive amounts "
                         "(a credit never nets it away; as GET /v1/confidence and /metrics)."),
        ts(lay, "Daily cost by business unit", daily_series("business_unit", v), stacked=True, bars=True, w=16,
           h=9),
        pie(lay, "Cost by product", by_dims([("product", "product")], v, with_share=False), w=8, h=9),
        table(lay, "Month to date vs forecast by business unit", forecast("business_unit", "business unit", v),
              w=12, h=9, overrides=units(as_of="date")),
        table(lay, "Top movers: business units vs previous period", movers("business_unit", "business unit", v),
              w=12, h=9, overrides=units(**{"change %": PCT})),
        ts(lay, "Billed vs allocated per day", reconciliation_daily(), w=24, h=8,
           description="Billed = bill lines + quarantined bill rows; allocated = sum of the facts; difference = "
                       "billed − allocated − quarantined (0 when every dollar is accounted for)."),
    ]
    return dashboard("bp-clevel-overview", "C-Level Cost Overview",
                     "Executive view: spend, trend, month-end forecast, movers and reconciliation to the bill.",
                     v, panels, time_from="now-90d")


def chargeback() -> dict:
    v = VARIABLE_ORDER
    lay = Layout()
    panels = [
        stat(lay, "Allocated cost", total(v), w=6),
        stat(lay, "Billed (range, all scopes)", """SELECT (SELECT coalesce(sum(amount), 0) FROM billing_costs
        WHERE $__timeFilter(usage_date))
     + (SELECT coalesce(sum(amount), 0) FROM quarantine_rows WHERE source = 'billing'
        AND $__timeFilter(usage_date)) AS billed""", w=6,
             description="The bill of the range, unfiltered: compare with the allocated cost when no filter is set."),
        stat(lay, "Unallocated charges", f"""SELECT sum(unallocated_charges_usd) AS "cost" FROM cost_daily_figures
WHERE $__timeFilter(usage_date){where(v)}""", w=6,
             description="Positive amounts on UNALLOCATED; credits (e.g. a promotional credit) are not netted "
                         "against them (see the credits in Billed vs allocated per day)."),
        stat(lay, "Teams charged", f"""SELECT count(DISTINCT coalesce(team, 'unknown')) AS teams FROM cost_daily
WHERE $__timeFilter(usage_date){where(v)}""", unit="none", w=6),
        table(lay, "Chargeback by cost center, business unit and team",
              by_dims([("cost_center", "cost center"), ("business_unit", "business unit"), ("team", "team")], v),
              w=12, h=10, overrides=units(share=PCT)),
        table(lay, "Chargeback by team and product", by_dims([("team", "team"), ("product", "product")], v),
              w=12, h=10, overrides=units(share=PCT)),
        ts(lay, "Daily cost by team", daily_series("team", v), stacked=True, bars=True, w=24, h=9),
        ts(lay, "Billed vs allocated per day", reconciliation_daily(), w=24, h=8,
           description="Unfiltered: billed = bill lines + quarantined bill rows, allocated = sum of the facts."),
        table(lay, "Unallocated costs", unallocated_table(v), w=12, h=9,
              overrides=units(**{"unallocated cost": USD, "first day": "date", "last day": "date"})),
        table(lay, "Allocation issues", issues_table(v), w=12, h=9,
              overrides=units(days="none", rows="none"),
              description="Unallocated, low-confidence, team-less and business-unit-less cost, and quarantined "
                          "input rows: the to-do list of the FinOps team."),
    ]
    return dashboard("bp-ccloud-chargeback", "Confluent Cloud Chargeback",
                     "Who pays what: cost center, business unit, team, product; reconciliation and what to fix.",
                     v, panels)


def by_business_unit() -> dict:
    v = ("env", "cluster", "business_unit", "team")
    lay = Layout()
    panels = [
        ts(lay, "Hourly cost by business unit", hourly_series("coalesce(h.business_unit, 'unknown')", v),
           stacked=True, w=24, h=9, description="From cost_hourly_team (hour grain)."),
        bargauge(lay, "Cost by business unit", by_dims([("business_unit", "business unit")], v, with_share=False),
                 w=8, h=9),
        table(lay, "Business unit × team", by_dims([("business_unit", "business unit"), ("team", "team")], v),
              w=16, h=9, overrides=units(share=PCT)),
        table(lay, "Month to date vs forecast by business unit", forecast("business_unit", "business unit", v),
              w=12, h=8, overrides=units(as_of="date")),
        table(lay, "Top movers: teams vs previous period", movers("team", "team", v), w=12, h=8,
              overrides=units(**{"change %": PCT})),
        table(lay, "Business unit × product", by_dims([("business_unit", "business unit"), ("product", "product")],
                                                      v), w=12, h=9, overrides=units(share=PCT)),
        table(lay, "Business unit × environment", by_dims([("business_unit", "business unit"),
                                                           ("env_id", "environment")], v),
              w=12, h=9, overrides=units(share=PCT)),
    ]
    return dashboard("bp-cost-by-business-unit", "Cost by Business Unit",
                     "Business units and their teams: hourly trend, shares, month-end forecast and movers.", v,
                     panels)


def by_cluster() -> dict:
    v = ("env", "cluster", "business_unit", "team")
    lay = Layout()
    names_join = f"\nLEFT JOIN ({CLUSTER_NAMES}) n ON n.cluster_id = h.cluster_id"
    panels = [
        ts(lay, "Hourly cost by cluster", hourly_series(
            "coalesce(n.display_name || ' (' || h.cluster_id || ')', h.cluster_id, 'no cluster')", v, names_join),
           stacked=True, w=24, h=9),
        table(lay, "Clusters", f"""WITH c AS (
  SELECT cluster_id, sum(amount_usd) AS a, count(DISTINCT coalesce(team, 'unknown')) AS teams,
         count(DISTINCT principal_id) AS principals
  FROM cost_daily WHERE $__timeFilter(usage_date) AND cluster_id IS NOT NULL{where(v)}
  GROUP BY 1
)
SELECT c.cluster_id AS "cluster", n.display_name AS "name", n.cluster_kind AS "kind", n.cloud, n.region,
       c.teams AS "teams", c.principals AS "principals", c.a AS "cost",
       c.a / nullif(sum(c.a) OVER (), 0) AS "share"
FROM c LEFT JOIN ({CLUSTER_NAMES}) n USING (cluster_id)
ORDER BY c.a DESC""", w=24, h=8, overrides=units(share=PCT, teams="none", principals="none")),
        table(lay, "Cost per GB in / out per cluster (Kafka)", cost_per_gb(v), w=24, h=8,
              overrides=units(**{"GB in": "none", "GB out": "none"}),
              description="Kafka cost of the cluster / bytes produced (request) and consumed (response) from the "
                          "Metrics API (principal_usage_hourly)."),
        table(lay, "Cluster × line type", by_dims([("cluster_id", "cluster"), ("line_type", "line type")], v),
              w=12, h=9, overrides=units(share=PCT)),
        table(lay, "Top teams per cluster", f"""SELECT * FROM (
  SELECT coalesce(cluster_id, 'no cluster') AS "cluster", coalesce(team, 'unknown') AS "team",
         sum(amount_usd) AS "cost",
         rank() OVER (PARTITION BY cluster_id ORDER BY sum(amount_usd) DESC) AS "rank"
  FROM cost_daily WHERE $__timeFilter(usage_date){where(v)}
  GROUP BY cluster_id, coalesce(team, 'unknown')
) t WHERE "rank" <= 5 ORDER BY "cluster", "rank\"""", w=12, h=9, overrides=units(rank="none")),
        table(lay, "Top movers: clusters vs previous period", movers("cluster_id", "cluster", v), w=24, h=8,
              overrides=units(**{"change %": PCT})),
    ]
    return dashboard("bp-cost-by-cluster", "Cost by Cluster",
                     "Platform view: cost per Kafka cluster, its tenants, line types and unit cost per GB.", v,
                     panels)


def by_principal() -> dict:
    v = VARIABLE_ORDER
    lay = Layout()
    panels = [
        table(lay, "Top principals", f"""SELECT principal_id AS "principal", max(principal_type) AS "type",
       max(owner) AS "owner", max(coalesce(team, 'unknown')) AS "team",
       max(coalesce(business_unit, 'unknown')) AS "business unit", count(DISTINCT cluster_id) AS "clusters",
       sum(amount_usd) AS "cost", sum(amount_usd) / nullif(sum(sum(amount_usd)) OVER (), 0) AS "share",
       sum(amount_usd) FILTER (WHERE confidence = 'high') / nullif(sum(amount_usd), 0) AS "high confidence"
FROM cost_daily WHERE $__timeFilter(usage_date){where(v)}
GROUP BY principal_id ORDER BY "cost" DESC LIMIT 200""", w=24, h=10,
              overrides=units(share=PCT, clusters="none", **{"high confidence": PCT})),
        ts(lay, "Daily cost of the top 10 principals", daily_series("principal_id", v), w=16, h=9),
        pie(lay, "Cost by principal type", by_dims([("principal_type", "principal type")], v, with_share=False),
            w=8, h=9),
        table(lay, "Principal × cluster × product", by_dims([("principal_id", "principal"), ("cluster_id", "cluster"),
                                                             ("product", "product")], v),
              w=12, h=9, overrides=units(share=PCT)),
        table(lay, "Traffic and unit cost per principal", f"""WITH u AS (
  SELECT principal_id, cluster_id, sum(request_bytes) / 1e9 AS gb_in, sum(response_bytes) / 1e9 AS gb_out
  FROM principal_usage_hourly
  WHERE $__timeFilter(usage_date){where(VARIABLE_ORDER, relation='principal_usage_hourly')}
  GROUP BY 1, 2
), c AS (
  SELECT principal_id, cluster_id, sum(amount_usd) AS a FROM cost_daily
  WHERE $__timeFilter(usage_date) AND product = 'KAFKA'{where(v)}
  GROUP BY 1, 2
)
SELECT u.principal_id AS "principal", u.cluster_id AS "cluster", u.gb_in::numeric AS "GB in",
       u.gb_out::numeric AS "GB out", coalesce(c.a, 0) AS "Kafka cost",
       c.a / nullif((u.gb_in + u.gb_out)::numeric, 0) AS "USD per GB"
FROM u LEFT JOIN c USING (principal_id, cluster_id)
ORDER BY u.gb_in + u.gb_out DESC LIMIT 200""", w=12, h=9, overrides=units(**{"GB in": "none", "GB out": "none"})),
        table(lay, "Top movers: principals vs previous period", movers("principal_id", "principal", v), w=24, h=8,
              overrides=units(**{"change %": PCT})),
    ]
    return dashboard("bp-cost-by-principal", "Cost by Principal",
                     "Service accounts, users and identity pools: who drives the cost, on which cluster, how "
                     "confidently.", v, panels)


def historical() -> dict:
    v = VARIABLE_ORDER
    lay = Layout()
    panels = [
        ts(lay, "Daily cost and 7-day moving average", f"""WITH d AS (
  SELECT usage_date, sum(amount_usd) AS a FROM cost_daily
  WHERE usage_date BETWEEN $__timeFrom()::date - 6 AND $__timeTo()::date{where(v)}
  GROUP BY 1
)
SELECT * FROM (
  SELECT usage_date::timestamp AT TIME ZONE 'UTC' AS "time", a AS "daily cost",
         avg(a) OVER (ORDER BY usage_date RANGE BETWEEN '6 days' PRECEDING AND CURRENT ROW) AS "7-day average"
  FROM d
) t WHERE "time" >= $__timeFrom()::date::timestamp AT TIME ZONE 'UTC' ORDER BY 1""", w=24, h=9,
           description="The average covers the 7 days ending at each day (it reads 6 days before the range)."),
        table(lay, "Monthly cost by business unit", f"""SELECT to_char(date_trunc('month', usage_date), 'YYYY-MM') AS "month",
       coalesce(business_unit, 'unknown') AS "business unit", sum(amount_usd) AS "cost",
       count(DISTINCT usage_date) AS "days"
FROM cost_daily WHERE $__timeFilter(usage_date){where(v)}
GROUP BY 1, 2 ORDER BY 1, 3 DESC""", w=12, h=9, overrides=units(days="none")),
        table(lay, "Monthly cost by product", f"""SELECT to_char(date_trunc('month', usage_date), 'YYYY-MM') AS "month",
       product, sum(amount_usd) AS "cost"
FROM cost_daily WHERE $__timeFilter(usage_date){where(v)}
GROUP BY 1, 2 ORDER BY 1, 3 DESC""", w=12, h=9),
        table(lay, "Monthly reconciliation to the bill", """SELECT to_char(date_trunc('month', usage_date), 'YYYY-MM')
       AS "month", sum(billed_usd) AS "billed", sum(allocated_usd) AS "allocated",
       sum(quarantined_usd) AS "quarantined", sum(difference_usd) AS "difference"
FROM reconciliation_daily($__timeFrom()::date, $__timeTo()::date)
GROUP BY 1 ORDER BY 1""", w=24, h=6),
        table(lay, "Daily detail (audit)", f"""SELECT usage_date AS "day", coalesce(env_id, '') AS "environment",
       coalesce(cluster_id, '') AS "cluster", coalesce(resource_id, '') AS "resource", product,
       line_type AS "line type", principal_id AS "principal", coalesce(team, 'unknown') AS "team",
       coalesce(business_unit, 'unknown') AS "business unit", coalesce(cost_center, 'unknown') AS "cost center",
       allocation_method AS "method", confidence, amount_usd AS "cost", fact_rows AS "hourly rows"
FROM cost_daily WHERE $__timeFilter(usage_date){where(v)}
ORDER BY usage_date DESC, amount_usd DESC LIMIT 5000""", w=24, h=12,
              overrides=units(day="date", **{"hourly rows": "none"})),
    ]
    return dashboard("bp-historical-costs", "Historical Costs (SQL)",
                     "Long-range history for analysts and audit: daily trend, months, reconciliation, detail.", v,
                     panels, time_from="now-1y")


def confidence() -> dict:
    v = ("env", "business_unit", "team")
    lay = Layout()
    def share(cond: str) -> str:
        return f"""SELECT sum(amount_usd) FILTER (WHERE {cond}) / nullif(sum(amount_usd), 0) AS share
FROM cost_daily WHERE $__timeFilter(usage_date){where(v)}"""

    panels = [
        stat(lay, "High confidence share", share("confidence = 'high'"), unit=PCT, w=6),
        stat(lay, "Coverage (usage + ownership)", share(
            "principal_id <> 'UNALLOCATED' AND allocation_method IN ('usage_share', 'hybrid', 'object_owner', "
            "'resource_owner', 'env_owner', 'key_holders_even')"), unit=PCT, w=6,
             description="Share of cost allocated by measured usage or by ownership (not by a fallback split)."),
        stat(lay, "Unallocated share", unallocated_share(v), unit=PCT, w=6,
             description="Unallocated charges / charges (positive amounts; credits apart), as GET /v1/confidence, "
                         "/metrics and the unallocated_share asset check."),
        prom_stat(lay, "Data lag (Prometheus)", "max(ccloud_cost_data_lag_seconds)", "s",
                  "Now − end of the newest complete hour of cost facts, as exported by the sidecar.",
                  thresholds={"mode": "absolute", "steps": [{"color": "green", "value": None},
                                                            {"color": "red", "value": 345600}]}),
        stat(lay, "Team known (attribution completeness)", completeness("team", v), unit=PCT, w=6,
             description="Share of charges whose team is known. Beside confidence: a row can be measured (high "
                         "confidence on who used the cluster) and still have no team."),
        stat(lay, "Business unit known", completeness("business_unit", v), unit=PCT, w=6,
             description="Share of charges whose business unit is known."),
        stat(lay, "Cost center known", completeness("cost_center", v), unit=PCT, w=6,
             description="Share of charges whose cost center is known."),
        stat(lay, "Credits", f"""SELECT sum(credits_usd) AS "credits" FROM cost_daily_figures
WHERE $__timeFilter(usage_date){where(v)}""", w=6,
             description="Negative amounts (promotional and service credits), shown apart: they never net "
                         "unallocated charges away."),
        ts(lay, "Confidence and coverage trend (organization)", confidence_trend(), unit=PCT, w=24, h=9,
           description="From cost_confidence_daily (scope total). 'usage expired before capture': cost whose usage "
                       "the Metrics API dropped (after ~7 days) before the daily capture got it."),
        ts(lay, "Daily cost by confidence", f"""SELECT $__timeGroupAlias(usage_date, '1d'), confidence AS metric,
       sum(amount_usd) AS value
FROM cost_daily WHERE $__timeFilter(usage_date){where(v)}
GROUP BY 1, 2 ORDER BY 1, 2""", stacked=True, bars=True, w=12, h=9),
        table(lay, "Allocation methods", f"""SELECT allocation_method AS "method", confidence,
       count(DISTINCT principal_id) AS "principals", sum(fact_rows) AS "hourly rows", sum(amount_usd) AS "cost",
       sum(amount_usd) / nullif(sum(sum(amount_usd)) OVER (), 0) AS "share"
FROM cost_daily WHERE $__timeFilter(usage_date){where(v)}
GROUP BY 1, 2 ORDER BY "cost" DESC""", w=12, h=9,
              overrides=units(share=PCT, principals="none", **{"hourly rows": "none"})),
        table(lay, "Confidence by team", """SELECT scope_value AS "team", sum(total_usd) AS "cost",
       sum(high_usd) / nullif(sum(total_usd), 0) AS "high", sum(medium_usd) / nullif(sum(total_usd), 0) AS "medium",
       sum(low_usd) / nullif(sum(total_usd), 0) AS "low",
       sum(by_usage_usd + by_ownership_usd) / nullif(sum(total_usd), 0) AS "coverage",
       unallocated_share(sum(f.unallocated_charges_usd), sum(f.charges_usd)) AS "unallocated",
       sum(usage_expired_usd) / nullif(sum(total_usd), 0) AS "usage expired"
FROM cost_confidence_daily c LEFT JOIN cost_figures_daily f USING (usage_date, scope_type, scope_value)
WHERE scope_type = 'team' AND $__timeFilter(usage_date)
  AND ('__all' IN ($team) OR scope_value IN ($team))
GROUP BY 1 ORDER BY "cost" DESC""", w=12, h=9,
              description="usage expired: share of the team's cost whose usage expired from the Metrics API before "
                          "it was captured (allocated by the fallback ladder, reason usage_expired_before_capture).",
              overrides=units(high=PCT, medium=PCT, low=PCT, coverage=PCT, unallocated=PCT,
                              **{"usage expired": PCT})),
        table(lay, "Allocation issues", issues_table(v), w=12, h=9, overrides=units(days="none", rows="none")),
        table(lay, "Ownership worklist: most cost without a team", OWNERSHIP_WORKLIST, w=24, h=10,
              overrides=units(share=PCT, days="none", **{"cost without a team": USD}),
              description="The principals and resources with the most charges and no team over the range (as GET "
                          "/v1/ownership/worklist), each with the line to add under its section of the mapping file "
                          "(BILLING_PORTAL_MAPPING_FILE) to give it one; one owners: entry fixes every row of that "
                          "owner."),
        table(lay, "Scopes not read (latest observations)", SKIPPED_SCOPES, w=24, h=6, unit="none",
              description="What the newest observation of objects and of the catalog could not read up to the range "
                          "end: a Schema Registry without a key (SCHEMA_REGISTRY_CREDENTIALS_FILE) or refusing it, an "
                          "environment the Cloud key is denied (403). Their objects and tags keep the history they "
                          "had; new ones there are unknown until the key can read them."),
    ]
    return dashboard("bp-confidence-metrics", "Confidence Metrics",
                     "Data quality of the chargeback: confidence, coverage, unallocated share, attribution completeness and "
                     "what to fix (the ownership worklist).", v,
                     panels)


THROUGHPUT_LINES = "('KAFKA_NETWORK_WRITE', 'KAFKA_NETWORK_READ', 'KAFKA_NUM_CKUS', 'KAFKA_NUM_CKU')"


def by_topic() -> dict:
    v = TOPIC_VARIABLE_ORDER
    lay = Layout()

    def topic_total(extra: str = "") -> str:
        return f"""SELECT sum(amount_usd) AS "cost" FROM topic_cost_daily
WHERE $__timeFilter(usage_date){where(v)}{extra}"""

    def topic_dims(dims: list[tuple[str, str]], limit: int = 200) -> str:
        cols = ", ".join(f"coalesce({c}, 'unknown') AS \"{label}\"" for c, label in dims)
        return f"""SELECT {cols}, sum(amount_usd) AS "cost"
FROM topic_cost_daily WHERE $__timeFilter(usage_date){where(v)}
GROUP BY {", ".join(str(i + 1) for i in range(len(dims)))} ORDER BY "cost" DESC LIMIT {limit}"""

    panels = [
        stat(lay, "Topic view cost", topic_total(), w=6,
             description="Every line billed on a Kafka cluster, split over the cluster's topics (the same total as "
                         "those lines in the principal view)."),
        stat(lay, "UNALLOCATED topic share", f"""SELECT unallocated_share(
         sum(charges_usd) FILTER (WHERE topic = 'UNALLOCATED'), sum(charges_usd)) AS share
FROM topic_cost_daily WHERE $__timeFilter(usage_date){where(v, skip=('topic',))}""", unit=PCT, w=6,
             description="Charges of cluster lines without topic metrics (or whose topic usage expired before "
                         "capture) over all charges of the topic view; credits apart (unallocated_share())."),
        stat(lay, "Topics with cost", f"""SELECT count(DISTINCT (cluster_id, topic)) AS "topics"
FROM topic_cost_daily WHERE $__timeFilter(usage_date) AND topic <> 'UNALLOCATED'{where(v)}""", unit="none", w=6),
        stat(lay, "High confidence share (topic view)", f"""SELECT sum(amount_usd) FILTER (WHERE confidence = 'high')
       / nullif(sum(amount_usd), 0) AS share
FROM topic_cost_daily WHERE $__timeFilter(usage_date){where(v)}""", unit=PCT, w=6),
        table(lay, "Top topics", f"""SELECT topic AS "topic", cluster_id AS "cluster", max(owner) AS "owner",
       max(coalesce(team, 'unknown')) AS "team", max(coalesce(business_product, 'unknown')) AS "data product",
       max(coalesce(cost_center, 'unknown')) AS "cost center",
       sum(amount_usd) FILTER (WHERE line_type IN {THROUGHPUT_LINES}) AS "throughput",
       sum(amount_usd) FILTER (WHERE line_type = 'KAFKA_STORAGE') AS "storage",
       sum(amount_usd) FILTER (WHERE line_type NOT IN {THROUGHPUT_LINES} AND line_type <> 'KAFKA_STORAGE')
         AS "base and other",
       sum(amount_usd) AS "cost", sum(amount_usd) / nullif(sum(sum(amount_usd)) OVER (), 0) AS "share"
FROM topic_cost_daily WHERE $__timeFilter(usage_date){where(v)}
GROUP BY topic, cluster_id ORDER BY "cost" DESC LIMIT 200""", w=24, h=10, overrides=units(share=PCT)),
        ts(lay, "Daily cost of the top 10 topics", f"""WITH d AS (
  SELECT usage_date, topic || ' · ' || cluster_id AS k, sum(amount_usd) AS a
  FROM topic_cost_daily WHERE $__timeFilter(usage_date){where(v)}
  GROUP BY 1, 2
), top AS (SELECT k FROM d GROUP BY k ORDER BY sum(abs(a)) DESC LIMIT 10)
SELECT $__timeGroupAlias(usage_date, '1d'), CASE WHEN k IN (SELECT k FROM top) THEN k ELSE 'other' END AS metric,
       sum(a) AS value
FROM d GROUP BY 1, 2 ORDER BY 1, 2""", stacked=True, w=24, h=9),
        pie(lay, "Cost by data product", topic_dims([("business_product", "data product")]), w=8, h=9),
        pie(lay, "Cost by team (topic owners)", topic_dims([("team", "team")]), w=8, h=9),
        bargauge(lay, "Cost by business unit (topic owners)", topic_dims([("business_unit", "business unit")]),
                 w=8, h=9),
        table(lay, "Throughput vs storage per topic", f"""WITH u AS (
  SELECT cluster_id, topic, sum(received_bytes) / 1e9 AS gb_in, sum(sent_bytes) / 1e9 AS gb_out,
         avg(retained_bytes) / 1e9 AS gb_retained
  FROM topic_usage_hourly
  WHERE $__timeFilter(usage_date){where(TOPIC_VARIABLE_ORDER, relation="topic_usage_hourly")}
  GROUP BY 1, 2
), c AS (
  SELECT cluster_id, topic,
         sum(amount_usd) FILTER (WHERE line_type IN {THROUGHPUT_LINES}) AS throughput,
         sum(amount_usd) FILTER (WHERE line_type = 'KAFKA_STORAGE') AS storage
  FROM topic_cost_daily WHERE $__timeFilter(usage_date){where(v)}
  GROUP BY 1, 2
)
SELECT c.topic AS "topic", c.cluster_id AS "cluster", u.gb_in::numeric AS "GB in", u.gb_out::numeric AS "GB out",
       u.gb_retained::numeric AS "GB retained (avg)", c.throughput AS "throughput cost", c.storage AS "storage cost",
       c.storage / nullif(coalesce(c.throughput, 0) + coalesce(c.storage, 0), 0) AS "storage share"
FROM c LEFT JOIN u USING (cluster_id, topic)
WHERE c.topic <> 'UNALLOCATED'
ORDER BY coalesce(c.throughput, 0) + coalesce(c.storage, 0) DESC LIMIT 200""", w=24, h=9,
              overrides=units(**{"GB in": "none", "GB out": "none", "GB retained (avg)": "none",
                                 "storage share": PCT}),
              description="Bytes from the captured topic usage (topic_usage_hourly); cost of the throughput lines "
                          "(network write/read, CKUs) and of storage per topic."),
        ts(lay, "UNALLOCATED topic share per day", f"""SELECT $__timeGroupAlias(usage_date, '1d'),
       'UNALLOCATED share' AS metric,
       unallocated_share(sum(charges_usd) FILTER (WHERE topic = 'UNALLOCATED'), sum(charges_usd)) AS value
FROM topic_cost_daily WHERE $__timeFilter(usage_date){where(v, skip=('topic',))}
GROUP BY 1, 2 ORDER BY 1""", unit=PCT, w=12, h=8),
        table(lay, "UNALLOCATED by cluster and reason", f"""SELECT cluster_id AS "cluster",
       allocation_reason AS "reason", line_type AS "line type", sum(amount_usd) AS "cost"
FROM topic_cost_daily WHERE $__timeFilter(usage_date) AND topic = 'UNALLOCATED'{where(v, skip=('topic',))}
GROUP BY 1, 2, 3
UNION ALL
SELECT 'none', 'every cluster line has topic metrics', '', 0 WHERE NOT EXISTS (
  SELECT 1 FROM topic_cost_daily WHERE $__timeFilter(usage_date) AND topic = 'UNALLOCATED'{where(v, skip=('topic',))})
ORDER BY 4 DESC""", w=12, h=8),
        ts(lay, "Trend of the selected topics by line type", f"""SELECT $__timeGroupAlias(usage_date, '1d'),
       line_type AS metric, sum(amount_usd) AS value
FROM topic_cost_daily WHERE $__timeFilter(usage_date){where(v)}
GROUP BY 1, 2 ORDER BY 1, 2""", stacked=True, bars=True, w=24, h=9,
           description="Pick one or more topics in the Topic variable; at All, the whole topic view."),
    ]
    return dashboard("bp-cost-by-topic", "Cost by Topic",
                     "The topic view: Kafka cluster cost split over topics by bytes received, sent and retained; "
                     "data products, teams and the UNALLOCATED topic.", v, panels,
                     catalog=TOPIC_VARIABLE_SQL, order=TOPIC_VARIABLE_ORDER)


DASHBOARDS = {
    "clevel-cost-overview.json": clevel,
    "ccloud_chargeback.json": chargeback,
    "cost-by-business-unit.json": by_business_unit,
    "cost-by-cluster.json": by_cluster,
    "cost-by-principal.json": by_principal,
    "historical_costs.json": historical,
    "confidence-metrics.json": confidence,
    "cost-by-topic.json": by_topic,
}


def render() -> dict[str, str]:
    return {name: json.dumps(build(), indent=2, ensure_ascii=False) + "\n" for name, build in DASHBOARDS.items()}


def main(argv: list[str]) -> int:
    files = render()
    if "--check" in argv:
        stale = [n for n, text in files.items() if not (OUT / n).is_file() or (OUT / n).read_text() != text]
        for n in stale:
            print(f"out of date: grafana/dashboards/{n} (run python grafana/generate_dashboards.py)")
        return 1 if stale else 0
    OUT.mkdir(exist_ok=True)
    for name, text in files.items():
        (OUT / name).write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
