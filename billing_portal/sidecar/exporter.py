"""OpenMetrics exposition of the cost facts (`/metrics`), with prometheus_client.

`ccloud_cost_usd_hourly{org_id, env_id, cluster, product, business_unit, team}` is the cost of one UTC hour, exposed
with that hour's timestamp so Prometheus stores it at the hour it belongs to, even when the bill arrives days late.
The label set is bounded: no principal or resource ids (use the REST API for those).
"""

from __future__ import annotations

import datetime as dt

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.openmetrics.exposition import generate_latest
from prometheus_client.registry import Collector, CollectorRegistry

LABELS = ["org_id", "env_id", "cluster", "product", "business_unit", "team"]
EXPOSED_HOURS = 48

HOURLY_SQL = """
WITH newest AS (SELECT max(hour) AS h FROM hourly_cost_facts)
SELECT hour, COALESCE(org_id, '') AS org_id, COALESCE(env_id, '') AS env_id, COALESCE(cluster_id, '') AS cluster,
       product, COALESCE(business_unit, 'unknown') AS business_unit, COALESCE(team, 'unknown') AS team,
       sum(amount_usd) AS amount
FROM hourly_cost_facts, newest
WHERE hour > newest.h - make_interval(hours => %(hours)s)
GROUP BY 1, 2, 3, 4, 5, 6, 7
ORDER BY 2, 3, 4, 5, 6, 7, 1
"""


class CostCollector(Collector):
    def __init__(self, pool):
        self.pool = pool

    def collect(self):
        cost = GaugeMetricFamily("ccloud_cost_usd_hourly",
                                 "Allocated Confluent Cloud cost of one UTC hour in USD, at that hour's timestamp.",
                                 labels=LABELS, unit="")
        newest = GaugeMetricFamily("ccloud_cost_newest_hour_timestamp_seconds",
                                   "Start of the newest hour with allocated cost (Unix seconds).")
        with self.pool.connection() as conn:
            rows = conn.execute(HOURLY_SQL, {"hours": EXPOSED_HOURS}).fetchall()
        newest_hour = None
        for r in rows:
            ts = r["hour"].timestamp()
            cost.add_metric([r[k] for k in LABELS], float(r["amount"]), timestamp=ts)
            newest_hour = max(newest_hour or ts, ts)
        yield cost
        if newest_hour is not None:
            newest.add_metric([], newest_hour)
        yield newest


def render(pool) -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(CostCollector(pool))
    return generate_latest(registry)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
