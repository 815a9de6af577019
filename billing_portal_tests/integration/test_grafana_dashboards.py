"""Every Grafana dashboard panel's SQL, expanded the way Grafana expands it (variables, then macros), runs on a
warehouse the real pipeline filled from the simulator and returns data; figures reconcile with the bill and the
REST API; every data source a dashboard names is provisioned."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
import yaml
from psycopg.rows import dict_row

from billing_portal_tests.grafana_sql import TimeRange, Variable, render

REPO = Path(__file__).resolve().parents[2]
DASHBOARD_DIR = REPO / "grafana" / "dashboards"
EXPECTED = {"clevel-cost-overview.json", "ccloud_chargeback.json", "cost-by-business-unit.json",
            "cost-by-cluster.json", "cost-by-principal.json", "historical_costs.json", "confidence-metrics.json",
            "cost-by-topic.json"}
PG_TYPES = {"grafana-postgresql-datasource", "postgres"}
PREVIOUS_PERIOD = "$__timeFrom()::date - 1"


def load(name: str) -> dict:
    return json.loads((DASHBOARD_DIR / name).read_text())


def provisioned_datasources() -> dict[str, str]:
    out = {}
    for f in sorted((REPO / "grafana" / "provisioning" / "datasources").glob("*.y*ml")):
        for ds in yaml.safe_load(f.read_text()).get("datasources", []):
            out[ds["uid"]] = ds["type"]
    return out


def datasource_refs(node, path="$"):
    """Every {"datasource": {...}} in a dashboard, with where it is."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "datasource":
                yield path, v
            else:
                yield from datasource_refs(v, f"{path}.{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from datasource_refs(v, f"{path}[{i}]")


def sql_targets(dash: dict):
    for p in dash["panels"]:
        for t in p.get("targets", []):
            if t.get("datasource", p.get("datasource", {})).get("type") in PG_TYPES:
                yield p, t


# --- static checks -----------------------------------------------------------------------------------------------
def test_the_eight_dashboards_exist_with_stable_unique_uids_and_usd_units():
    assert {p.name for p in DASHBOARD_DIR.glob("*.json")} == EXPECTED
    uids = [load(n)["uid"] for n in sorted(EXPECTED)]
    assert len(set(uids)) == len(EXPECTED) and all(re.fullmatch(r"bp-[a-z0-9-]+", u) for u in uids), uids
    for name in EXPECTED:
        dash = load(name)
        assert dash["timezone"] == "utc"
        units = [p["fieldConfig"]["defaults"].get("unit") for p in dash["panels"]]
        assert "currencyUSD" in units, name
        names = [v["name"] for v in dash["templating"]["list"]]
        assert {"env", "business_unit"} <= set(names), (name, names)
        for v in dash["templating"]["list"]:
            assert v["multi"] and v["includeAll"] and v["allValue"] == "'__all'", (name, v["name"])
        for _, t in sql_targets(dash):
            assert not re.search(r"(?i)\b(from|join)\s+hourly_cost_facts\b", t["rawSql"]), (
                f"{name}: dashboards read the rollups, not the facts")
            assert "$__timeFilter" in t["rawSql"] or "$__timeTo()" in t["rawSql"], t["rawSql"][:80]
    assert {v["name"] for v in load("ccloud_chargeback.json")["templating"]["list"]} == {
        "env", "cluster", "business_unit", "team", "principal"}


def test_dashboard_files_are_the_generator_output():
    proc = subprocess.run([sys.executable, str(REPO / "grafana" / "generate_dashboards.py"), "--check"],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_every_datasource_reference_is_provisioned():
    provisioned = provisioned_datasources()
    assert provisioned == {"bp-postgres": "grafana-postgresql-datasource", "bp-prometheus": "prometheus"}
    seen = set()
    for name in EXPECTED:
        for path, ref in datasource_refs(load(name)):
            assert isinstance(ref, dict) and ref.get("uid") in provisioned, (name, path, ref)
            assert provisioned[ref["uid"]] == ref["type"], (name, path, ref)
            seen.add(ref["uid"])
    assert seen == set(provisioned)
    provider = yaml.safe_load((REPO / "grafana" / "provisioning" / "dashboards" / "billing-portal.yaml").read_text())
    assert provider["providers"][0]["options"]["path"] == "/var/lib/grafana/dashboards"


# --- executing the SQL -------------------------------------------------------------------------------------------
def resolve_relative(expr: str, now: dt.datetime) -> dt.datetime:
    if expr == "now":
        return now
    m = re.fullmatch(r"now-(\d+)([mhdwy])", expr)
    assert m, expr
    n, unit = int(m.group(1)), m.group(2)
    days = {"d": 1, "w": 7, "y": 365}.get(unit)
    return now - (dt.timedelta(days=n * days) if days else dt.timedelta(hours=n) if unit == "h"
                  else dt.timedelta(minutes=n))


def day_range(first: dt.date, last: dt.date) -> TimeRange:
    """What Grafana's picker sends for whole days: [first 00:00, last 23:59:59.999]."""
    return TimeRange(dt.datetime.combine(first, dt.time(0), tzinfo=dt.UTC),
                     dt.datetime.combine(last, dt.time(23, 59, 59, 999000), tzinfo=dt.UTC))


class Runner:
    def __init__(self, conn: psycopg.Connection, dash: dict):
        self.conn, self.dash = conn, dash
        self.variables: dict[str, Variable] = {}

    def execute(self, sql: str) -> list[dict]:
        with self.conn.transaction():
            self.conn.execute("SET LOCAL statement_timeout = '20s'")
            return self.conn.execute(sql).fetchall()

    def load_variables(self, tr: TimeRange) -> dict[str, list[str]]:
        """Run each variable's query in order (chained variables see the previous ones at All), like Grafana."""
        options = {}
        for v in self.dash["templating"]["list"]:
            rows = self.execute(render(v["query"], tr, self.variables, {}))
            values = [str(r["__value"] if "__value" in r else next(iter(r.values()))) for r in rows]
            assert values, f"variable ${v['name']} has no options"
            if "__text" in (rows[0] if rows else {}):
                assert all(r["__text"] for r in rows), v["name"]
            self.variables[v["name"]] = Variable.from_json(v, tuple(values))
            options[v["name"]] = values
        return options

    def run_panels(self, tr: TimeRange, selection: dict) -> dict[str, list[dict]]:
        out = {}
        for p, t in sql_targets(self.dash):
            sql = render(t["rawSql"], tr, self.variables, selection)
            try:
                rows = self.execute(sql)
            except psycopg.Error as exc:
                raise AssertionError(f"{self.dash['uid']} / {p['title']}: {exc}\n{sql}") from None
            if t["format"] == "time_series" and rows:
                assert "time" in rows[0], (p["title"], list(rows[0]))
            out[p["title"]] = rows
        return out


def has_data(rows: list[dict]) -> bool:
    return any(v is not None for r in rows for v in r.values())


@pytest.fixture(scope="module")
def conn(simulated_warehouse):
    with psycopg.connect(simulated_warehouse.database_url, row_factory=dict_row, autocommit=True) as c:
        yield c


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_panel_runs_and_returns_data(name, simulated_warehouse, conn):
    wh = simulated_warehouse
    dash = load(name)
    runner = Runner(conn, dash)
    now = dt.datetime.now(dt.UTC)
    last = wh.end - dt.timedelta(days=1)
    ranges = {
        "dashboard default": TimeRange(resolve_relative(dash["time"]["from"], now), now),
        "the simulated days": day_range(wh.start, last),
        "the last 3 days (previous period has data)": day_range(last - dt.timedelta(days=2), last),
    }
    for label, tr in ranges.items():
        runner.load_variables(tr)
        results = runner.run_panels(tr, {})  # every variable at All
        empty = [title for title, rows in results.items() if not has_data(rows)]
        # Only a comparison with the previous period may be empty, and only when the warehouse has no day there.
        n_days = (tr.end.date() - tr.start.date()).days + 1
        prev_has_data = conn.execute(
            "SELECT count(*) AS n FROM cost_daily WHERE usage_date BETWEEN %s AND %s",
            (tr.start.date() - dt.timedelta(days=n_days), tr.start.date() - dt.timedelta(days=1))).fetchone()["n"]
        allowed = set() if prev_has_data else {
            p["title"] for p, t in sql_targets(dash) if PREVIOUS_PERIOD in t["rawSql"]}
        assert not set(empty) - allowed, f"{name}, {label}: panels without data: {sorted(set(empty) - allowed)}"
    assert ranges, "at least one range"

    # Every variable, one value and two values (the others at All): every panel's SQL runs and something is shown.
    tr = ranges["the simulated days"]
    options = runner.load_variables(tr)
    full = runner.run_panels(tr, {})
    for var, values in options.items():
        for chosen in ([values[0]], values[:2]):
            results = runner.run_panels(tr, {var: chosen})
            assert any(has_data(rows) for rows in results.values()), (name, var, chosen)
        # A value with a quote is escaped, not executed: it matches nothing and breaks nothing.
        runner.run_panels(tr, {var: ["o'brien; DROP TABLE cost_daily; --"]})
        # Business units and teams partition the cost: the single-figure cost panels summed over every value
        # equal the figure at All.
        if var in ("business_unit", "team"):
            single = [t for t, rows in full.items() if len(rows) == 1 and "cost" in rows[0]]
            assert single or name != "ccloud_chargeback.json"
            parts = {t: Decimal(0) for t in single}
            for value in values:
                results = runner.run_panels(tr, {var: [value]})
                for t in single:
                    parts[t] += (results[t][0]["cost"] or 0) if results[t] else 0
            for t in single:
                assert parts[t] == (full[t][0]["cost"] or 0), (name, var, t, parts[t], full[t])
    assert conn.execute("SELECT count(*) AS n FROM cost_daily").fetchone()["n"] > 0


def test_figures_reconcile_with_the_bill_and_the_api(simulated_warehouse, conn):
    """Values, not just rows: the executive total equals the bill, billed − allocated − quarantined is 0 every day,
    and the month-to-date/forecast figures equal GET /v1/forecast's."""
    wh = simulated_warehouse
    last = wh.end - dt.timedelta(days=1)
    tr = day_range(wh.start, last)
    billed = conn.execute("SELECT sum(amount) AS a FROM billing_costs WHERE usage_date BETWEEN %s AND %s",
                          (wh.start, last)).fetchone()["a"]

    clevel = Runner(conn, load("clevel-cost-overview.json"))
    clevel.load_variables(tr)
    res = clevel.run_panels(tr, {})
    assert res["Total cost"][0]["cost"] == billed
    recon = res["Billed vs allocated per day"]
    assert len(recon) == len(wh.days)
    assert all(r["difference"] == 0 for r in recon), recon
    assert sum(r["billed"] for r in recon) == billed

    chargeback = Runner(conn, load("ccloud_chargeback.json"))
    chargeback.load_variables(tr)
    cb = chargeback.run_panels(tr, {})
    assert sum(r["cost"] for r in cb["Chargeback by cost center, business unit and team"]) == billed
    assert sum(r["share"] for r in cb["Chargeback by team and product"]) == pytest.approx(Decimal(1))

    from billing_portal_tests.factories import sidecar_app

    app = sidecar_app(wh.database_url)
    try:
        body = app.test_client().get(f"/v1/forecast?month={last:%Y-%m}").get_json()
    finally:
        app.extensions["warehouse_pool"].close()
    assert res["Month to date"][0]["month to date"] == Decimal(body["total"]["actual_usd"])
    assert res["Forecast (month)"][0]["forecast (month)"].quantize(Decimal("1e-8")) == Decimal(
        body["total"]["forecast_usd"])


def _check_evaluations(dagster_home: str, check: str) -> list[dict]:
    """Metadata of every evaluation of hourly_cost_facts:`check` in the warehouse's Dagster instance, oldest first."""
    from billing_portal_tests.pipeline import dagster_instance

    out = []
    with dagster_instance(dagster_home) as instance:
        for run in reversed(instance.get_runs()):
            for record in instance.all_logs(run.run_id):
                ev = record.dagster_event
                if ev is not None and ev.event_type_value == "ASSET_CHECK_EVALUATION":
                    data = ev.event_specific_data
                    if data.asset_key.to_user_string() == "hourly_cost_facts" and data.check_name == check:
                        out.append({k: v.value for k, v in data.metadata.items()})
    return out


def test_quality_figures_have_one_definition_on_a_simulated_org(simulated_warehouse, conn):
    """The unallocated share and attribution completeness of the days the real pipeline stored: the asset checks'
    numeric metadata (as Dagster recorded it) = GET /v1/confidence = /metrics = the Confidence dashboard, per day and
    over the range; the share is never negative although the org's promotional credit is larger than the rest of
    its unallocated lines."""
    import requests
    from prometheus_client.openmetrics.parser import text_string_to_metric_families

    from billing_portal_tests.factories import LiveServer, sidecar_app

    wh = simulated_warehouse
    shares = _check_evaluations(wh.env["DAGSTER_HOME"], "unallocated_share")
    completeness = _check_evaluations(wh.env["DAGSTER_HOME"], "attribution_completeness")
    assert shares and completeness, "the checks ran"
    by_day = {d["day"]: d for ev in shares for d in ev["by_day"]}            # newest evaluation of each day wins
    team_by_day = {d["day"]: d for ev in completeness for d in ev["by_day"]}
    assert sorted(by_day) == [d.isoformat() for d in wh.days]
    assert all(isinstance(shares[-1][k], float) for k in ("unallocated_share", "threshold", "credits_usd"))
    credit = conn.execute("SELECT sum(amount_usd) AS c, sum(charges_usd) AS u FROM cost_daily"
                          " WHERE principal_id = 'UNALLOCATED' AND line_type = 'PROMO_CREDIT'").fetchone()
    assert credit["c"] < 0 and credit["u"] == 0  # credits are credits: they never count as unallocated charges

    last = wh.end - dt.timedelta(days=1)
    with LiveServer(sidecar_app(wh.database_url)) as srv:
        answer = requests.get(f"{srv.url}/v1/confidence?start={wh.start}&end={last}&scope_type=total", timeout=60)
        metrics = {f.name: f for f in text_string_to_metric_families(
            requests.get(srv.url + "/metrics", timeout=60).text)}
    assert answer.status_code == 200, answer.text
    api = answer.json()["data"]
    api_by_day = {r["usage_date"]: r for r in api}
    for day, d in by_day.items():
        assert d["unallocated_share"] > 0, day
        assert api_by_day[day]["unallocated_share"] == pytest.approx(d["unallocated_share"], abs=1e-6), day
        assert api_by_day[day]["team_completeness"] == pytest.approx(team_by_day[day]["team_completeness"],
                                                                     abs=1e-6), day
    assert metrics["ccloud_cost_unallocated_share_ratio"].samples[0].value == pytest.approx(
        by_day[last.isoformat()]["unallocated_share"])
    team_metric = {s.labels["attribute"]: s.value for s in
                   metrics["ccloud_cost_attribution_completeness_ratio"].samples}["team"]
    assert team_metric == pytest.approx(team_by_day[last.isoformat()]["team_completeness"])

    runner = Runner(conn, load("confidence-metrics.json"))
    runner.load_variables(day_range(wh.start, last))
    panels = runner.run_panels(day_range(wh.start, last), {})
    trend = {r["time"].date().isoformat(): r for r in panels["Confidence and coverage trend (organization)"]}
    for day, d in by_day.items():
        assert float(trend[day]["unallocated share"]) == pytest.approx(d["unallocated_share"]), day
        assert float(trend[day]["team known (attribution completeness)"]) == pytest.approx(
            team_by_day[day]["team_completeness"]), day
    # over a range: the newest run's check (its days, as stored since) = the dashboard's stats over those days
    newest_share, newest_team = shares[-1], completeness[-1]
    tr = day_range(dt.date.fromisoformat(newest_share["first_day"]), dt.date.fromisoformat(newest_share["last_day"]))
    ranged = runner.run_panels(tr, {})
    assert float(ranged["Unallocated share"][0]["share"]) == pytest.approx(newest_share["unallocated_share"])
    assert float(ranged["Team known (attribution completeness)"][0]["share"]) == pytest.approx(
        newest_team["team_completeness"])
    assert float(ranged["Credits"][0]["credits"]) == pytest.approx(newest_share["credits_usd"])
    worklist = panels["Ownership worklist: most cost without a team"]
    assert worklist and all(r["mapping-file line"].startswith(r["id"] + ": {team: <team>") for r in worklist)
    print(f"simulated org, {wh.start}..{last}: unallocated share {float(panels['Unallocated share'][0]['share']):.4%}"
          f" (credits {float(panels['Credits'][0]['credits']):.2f} USD apart), team / business unit / cost center "
          f"known {float(panels['Team known (attribution completeness)'][0]['share']):.2%} / "
          f"{float(panels['Business unit known'][0]['share']):.2%} / "
          f"{float(panels['Cost center known'][0]['share']):.2%}, high confidence "
          f"{float(panels['High confidence share'][0]['share']):.2%}; worklist top: {worklist[0]['id']} "
          f"{worklist[0]['cost without a team']:.2f} USD ({len(worklist)} rows)")

