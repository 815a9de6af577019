"""Every PromQL query in docs/PROMQL_EXAMPLES.md (and every Prometheus panel of the dashboards) runs without error
on a real Prometheus that scraped the sidecar with the repository's configuration and rules, and returns data."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import requests
import yaml

from billing_portal_tests.factories import LiveServer, sidecar_app, write_days
from billing_portal_tests.integration.test_prometheus_scrape import prometheus, wait_for  # noqa: F401 - fixture

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "PROMQL_EXAMPLES.md"
TODAY = dt.datetime.now(dt.UTC).date()
DAYS = 14  # the anomaly baseline needs 12 days of history
GRAFANA_VARS = {"$__interval": "1h", "$__range": "30d", "$__rate_interval": "2h"}


def doc_queries() -> list[str]:
    """One query per non-comment line of each ```promql block."""
    queries = []
    for block in re.findall(r"```promql\n(.*?)```", DOC.read_text(), flags=re.S):
        for line in block.splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                queries.append(line)
    return queries


def dashboard_queries() -> list[str]:
    out = []
    for f in sorted((REPO / "grafana" / "dashboards").glob("*.json")):
        for p in json.loads(f.read_text())["panels"]:
            for t in p.get("targets", []):
                if t.get("datasource", {}).get("type") == "prometheus":
                    out.append(t["expr"])
    return out


def test_the_doc_has_queries_and_they_parse():
    queries = doc_queries()
    assert len(queries) >= 20, queries
    assert len(set(queries)) == len(queries), "each example once"


def instant(prom: str, query: str, at: dt.datetime) -> list[dict]:
    for k, v in GRAFANA_VARS.items():
        query = query.replace(k, v)
    r = requests.get(prom + "/api/v1/query", params={"query": query, "time": at.timestamp()}, timeout=30)
    body = r.json()
    assert r.status_code == 200 and body["status"] == "success", (query, body)
    assert not body.get("warnings"), (query, body["warnings"])
    return body["data"]["result"] if body["data"]["resultType"] == "vector" else [body["data"]["result"]]


def test_every_query_returns_data_from_a_real_prometheus(database_url, prometheus, tmp_path):  # noqa: F811
    first = TODAY - dt.timedelta(days=DAYS)
    write_days(database_url, first, DAYS)
    newest = TODAY - dt.timedelta(days=1)
    budgets = tmp_path / "budgets.yml"
    budgets.write_text("business_units:\n  commerce: 50\n  platform: 100000\n")
    # The repository's rules, evaluated every second instead of every 5 minutes.
    (tmp_path / "rules").mkdir()
    for f in (REPO / "prometheus" / "rules").glob("*.yml"):
        doc = yaml.safe_load(f.read_text())
        for group in doc["groups"]:
            group["interval"] = "1s"
        (tmp_path / "rules" / f.name).write_text(yaml.safe_dump(doc))

    # The sidecar publishes the days of its restatement window: widen it so the 14 days reach Prometheus at once
    # (in production they arrive one day at a time).
    app = sidecar_app(database_url, BILLING_PORTAL_BUDGETS_FILE=str(budgets), RESTATEMENT_WINDOW_DAYS="20")
    with LiveServer(app) as srv:
        prom = prometheus(f"127.0.0.1:{srv.port}")
        hour = dt.datetime.combine(newest, dt.time(12), tzinfo=dt.UTC)
        wait_for(lambda: instant(prom, "sum(ccloud_cost_usd_hourly)", hour), timeout=60)
        wait_for(lambda: instant(prom, "sum(ccloud_cost_usd_hourly)",
                                 dt.datetime.combine(first, dt.time(0), tzinfo=dt.UTC)), timeout=60)
        wait_for(lambda: instant(prom, "ccloud:cost_usd:avg_daily_7d_offset5d", dt.datetime.now(dt.UTC)),
                 timeout=60)
        wait_for(lambda: instant(prom, "business_unit:ccloud_cost_month_to_date_usd:budget_ratio",
                                 dt.datetime.now(dt.UTC)) or TODAY.day == 1, timeout=60)

        now = dt.datetime.now(dt.UTC)
        times = {"an hour of the newest day": hour,
                 "the end of the newest day": dt.datetime.combine(newest, dt.time(23, 59, 59), tzinfo=dt.UTC),
                 "now": now}
        no_data = []
        for query in doc_queries() + dashboard_queries():
            results = {label: instant(prom, query, at) for label, at in times.items()}
            if not any(results.values()):
                no_data.append(query)
        # On the 1st of a month the current month has no complete day yet: month-to-date series are empty.
        if TODAY.day == 1:
            no_data = [q for q in no_data if "month_to_date" not in q]
        assert not no_data, f"queries without data: {no_data}"
