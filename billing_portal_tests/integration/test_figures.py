"""One definition of each figure (issue 16), on a real PostgreSQL and the sidecar over HTTP.

A day with +36 of unallocated charges (support, audit log) and a -40 promotional credit, a -5 outage credit on an
allocated cluster, and cost with and without a team: the unallocated share is the same positive 36 / 200 in GET
/v1/confidence, /metrics, every dashboard panel that shows it and what the asset check reads (never the -4 / 155 a
credit netted against the charges gives); attribution completeness is the same everywhere; the ownership worklist
names the principals and resources with the most cost and no team, with mapping-file lines that load and fix them.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import psycopg
import pytest
import requests
import yaml
from prometheus_client.openmetrics.parser import text_string_to_metric_families
from psycopg.rows import dict_row

from billing_portal.defs.facts.checks import stored_figures
from billing_portal.ownership import OwnershipMapping
from billing_portal_tests.factories import SA1, Line, LiveServer, Payer, sidecar_app, write_day
from billing_portal_tests.integration.test_grafana_dashboards import Runner, day_range, load

DAY = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=3)
D = Decimal
NO_TEAM = Payer("sa-4", 1, owner="rupert@company.com")  # measured (high confidence), no team
CONNECTOR_OWNER = Payer("sa-5", 1, method="resource_owner", reason="owner_from_name", confidence="medium")
# as ownership resolution gives it: the synthetic principal's attributes say `unallocated`
UNALLOCATED = Payer("UNALLOCATED", 1, team="unallocated", business_unit="unallocated", cost_center="unallocated",
                    owner="unallocated", principal_type="unallocated", method="unallocated",
                    reason="no_resource_on_line", confidence="low")


def lines() -> list[Line]:
    return [
        Line("KAFKA", "KAFKA_NUM_CKUS", D("100.00"), (Payer(**SA1, weight=1),), resource_id="lkc-aaa",
             resource_type="kafka_cluster", env_id="env-1", cluster_id="lkc-aaa"),
        Line("KAFKA", "KAFKA_BASE", D("-5.00"), (Payer(**SA1, weight=1),), resource_id="lkc-aaa",
             resource_type="kafka_cluster", env_id="env-1", cluster_id="lkc-aaa", description="Outage credit"),
        Line("KAFKA", "KAFKA_NETWORK_READ", D("60.00"), (NO_TEAM,), resource_id="lkc-bbb",
             resource_type="kafka_cluster", env_id="env-2", cluster_id="lkc-bbb"),
        Line("CONNECT", "CONNECT_CAPACITY", D("4.00"), (CONNECTOR_OWNER,), resource_id="lcc-9",
             resource_type="connector", env_id="env-1", cluster_id="lkc-aaa"),
        Line("SUPPORT_CLOUD_BUSINESS", "SUPPORT", D("30.00"), (UNALLOCATED,), unit=None),
        Line("AUDIT_LOG", "AUDIT_LOG_READ", D("6.00"), (UNALLOCATED,), unit=None),
        Line("KAFKA", "PROMO_CREDIT", D("-40.00"), (UNALLOCATED,), unit=None, description="Promotional credit"),
    ]


CHARGES, CREDITS, UNALLOCATED_CHARGES = D(200), D(-45), D(36)
SHARE = UNALLOCATED_CHARGES / CHARGES          # 0.18
TEAM_KNOWN = D(100) / CHARGES                  # only sa-1's charges have a team (its -5 credit is apart)


@pytest.fixture(scope="module")
def server(pg_server_url, _template_db):
    from billing_portal_tests.factories import module_database

    gen = module_database(pg_server_url, _template_db)
    url = next(gen)
    write_day(url, DAY, lines())
    with LiveServer(sidecar_app(url)) as srv:
        srv.database_url = url
        yield srv
    gen.close()


def get(srv, path: str) -> requests.Response:
    return requests.get(srv.url + path, timeout=30)


def day_params() -> str:
    return f"from_ts={DAY.isoformat()}&to_ts={(DAY + dt.timedelta(days=1)).isoformat()}"


def test_the_asset_check_reads_a_positive_share_with_credits_apart(server):
    with psycopg.connect(server.database_url) as conn:
        overall, per_day = stored_figures(conn, [DAY])
        net = conn.execute("SELECT sum(amount_usd) FILTER (WHERE principal_id = 'UNALLOCATED'), sum(amount_usd)"
                           " FROM cost_daily WHERE usage_date = %s", (DAY,)).fetchone()
    assert net == (D(-4), D(155))  # what the four old definitions divided, one way or another
    assert overall.unallocated_share == SHARE and [f.unallocated_share for f in per_day] == [SHARE]
    assert (overall.charges_usd, overall.credits_usd) == (CHARGES, CREDITS)
    assert (overall.unallocated_charges_usd, overall.unallocated_credits_usd) == (UNALLOCATED_CHARGES, D(-40))
    assert overall.team_completeness == overall.business_unit_completeness == overall.cost_center_completeness \
        == TEAM_KNOWN
    assert overall.numbers("unallocated_share")["unallocated_share"] == pytest.approx(0.18)


def test_confidence_api_shows_the_same_share_and_completeness(server):
    body = get(server, f"/v1/confidence?{day_params()}&scope_type=total").json()
    (t,) = body["data"]
    assert t["unallocated_share"] == pytest.approx(float(SHARE), abs=1e-6) and t["unallocated_share"] > 0
    assert (t["charges_usd"], t["credits_usd"]) == ("200.00000000", "-45.00000000")
    assert (t["unallocated_charges_usd"], t["unallocated_credits_usd"]) == ("36.00000000", "-40.00000000")
    assert t["unallocated_usd"] == "-4.00000000"  # the coverage bucket stays the net amount (it sums to the total)
    for k in ("team_completeness", "business_unit_completeness", "cost_center_completeness"):
        assert t[k] == pytest.approx(float(TEAM_KNOWN), abs=1e-6), k
    teams = {r["scope_value"]: r for r in get(server, f"/v1/confidence?{day_params()}&scope_type=team").json()["data"]}
    assert teams["payments"]["team_completeness"] == 1 and teams["unknown"]["team_completeness"] == 0
    assert teams["unallocated"]["unallocated_share"] == 1
    csv_text = get(server, f"/v1/confidence?{day_params()}&scope_type=total&format=csv").text
    header, row = csv_text.strip().splitlines()
    assert dict(zip(header.split(","), row.split(","), strict=True))["unallocated_share"] == "0.18"


def test_metrics_expose_the_same_share_credits_and_completeness(server):
    r = get(server, "/metrics")
    families = {f.name: f for f in text_string_to_metric_families(r.text)}
    assert families["ccloud_cost_unallocated_share_ratio"].samples[0].value == pytest.approx(float(SHARE))
    assert families["ccloud_cost_credits_usd"].samples[0].value == pytest.approx(-45.0)
    completeness = {s.labels["attribute"]: s.value for s in
                    families["ccloud_cost_attribution_completeness_ratio"].samples}
    assert completeness == pytest.approx({"team": 0.5, "business_unit": 0.5, "cost_center": 0.5})


def test_every_dashboard_panel_shows_the_same_figures(server):
    tr = day_range(DAY, DAY)
    with psycopg.connect(server.database_url, row_factory=dict_row, autocommit=True) as conn:
        def panels(name: str) -> dict[str, list[dict]]:
            runner = Runner(conn, load(name))
            runner.load_variables(tr)
            return runner.run_panels(tr, {})

        confidence, clevel = panels("confidence-metrics.json"), panels("clevel-cost-overview.json")
        chargeback = panels("ccloud_chargeback.json")
    assert confidence["Unallocated share"][0]["share"] == SHARE
    assert clevel["Unallocated share"][0]["share"] == SHARE
    (trend,) = confidence["Confidence and coverage trend (organization)"]
    assert trend["unallocated share"] == SHARE and trend["team known (attribution completeness)"] == TEAM_KNOWN
    assert confidence["Team known (attribution completeness)"][0]["share"] == TEAM_KNOWN
    assert confidence["Business unit known"][0]["share"] == TEAM_KNOWN
    assert confidence["Cost center known"][0]["share"] == TEAM_KNOWN
    assert confidence["Credits"][0]["credits"] == CREDITS
    by_team = {r["team"]: r for r in confidence["Confidence by team"]}
    assert by_team["unallocated"]["unallocated"] == 1 and by_team["payments"]["unallocated"] == 0
    assert chargeback["Unallocated charges"][0]["cost"] == UNALLOCATED_CHARGES
    (recon,) = clevel["Billed vs allocated per day"]
    assert (recon["unallocated charges"], recon["credits"]) == (UNALLOCATED_CHARGES, CREDITS)
    worklist = confidence["Ownership worklist: most cost without a team"]
    assert [(r["id"], r["cost without a team"]) for r in worklist] == [("sa-4", D(60)), ("lcc-9", D(4))]


def test_ownership_worklist_over_http_gives_lines_that_fix_the_mapping(server):
    body = get(server, f"/v1/ownership/worklist?{day_params()}").json()
    assert body["start"] == body["end"] == DAY.isoformat()
    assert (body["charges_usd"], body["unattributed_usd"]) == ("200.00000000", "100.00000000")  # UNALLOCATED's too
    assert body["team_completeness"] == 0.5
    first, second = body["data"]
    assert first == {
        "kind": "principal", "id": "sa-4", "id_type": None, "display_name": None, "owner": "rupert@company.com",
        "unattributed_usd": "60.00000000", "share": 0.3, "days": 1, "mapping_section": "principals",
        "mapping_line": "sa-4: {team: <team>, business_unit: <business_unit>, cost_center: <cost_center>}",
        "mapping_yaml": "principals:\n  sa-4: {team: <team>, business_unit: <business_unit>, "
                        "cost_center: <cost_center>}\n"}
    # a resource_owner row takes the resource's attributes: its entry goes under resources:
    assert (second["kind"], second["id"], second["mapping_section"]) == ("resource", "lcc-9", "resources")
    # the lines, filled in, are a mapping file the portal loads, and they name what was missing
    text = "".join(item["mapping_yaml"] for item in body["data"] if item["kind"] == "principal")
    text += "resources:\n" + "".join(f"  {i['mapping_line']}\n" for i in body["data"] if i["kind"] == "resource")
    filled = text.replace("<team>", "search").replace("<business_unit>", "platform").replace("<cost_center>", "C1")
    mapping = OwnershipMapping.model_validate(yaml.safe_load(filled))
    assert mapping.principals["sa-4"].team == "search" and mapping.resources["lcc-9"].cost_center == "C1"

    assert len(get(server, f"/v1/ownership/worklist?{day_params()}&limit=1").json()["data"]) == 1
    csv_lines = get(server, f"/v1/ownership/worklist?{day_params()}&format=csv").text.strip().splitlines()
    assert csv_lines[0].startswith("kind,id,id_type") and len(csv_lines) == 3
    bad = get(server, f"/v1/ownership/worklist?{day_params()}&limit=0")
    assert bad.status_code == 400 and bad.json()["error"]["parameter"] == "limit"
    assert get(server, "/v1/ownership/worklist?start=2024-01-02&end=2024-01-01").status_code == 400
    empty = get(server, "/v1/ownership/worklist?start=2020-01-01&end=2020-01-31").json()
    assert empty["data"] == [] and empty["team_completeness"] is None
