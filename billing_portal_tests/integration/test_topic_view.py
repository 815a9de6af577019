"""The topic view through the real pipeline against a live-flavoured simulator: every Kafka-cluster line of the day
split over its cluster's topics by received, sent and retained bytes, hour by hour, to the cent; owners from the
topics' catalog tags and the mapping file's topic rules; a cluster whose topic metrics the key cannot read lands on
topic UNALLOCATED; the principal view is the same as without the topic view."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import numpy as np
import psycopg
import pytest
import requests
import yaml

from billing_portal.model.rollups import TOPIC_COST_DAILY
from billing_portal.simulator import build_model, start_simulator
from billing_portal.simulator.testing import MovableClock
from billing_portal_tests.factories import LiveServer, module_database, sidecar_app
from billing_portal_tests.pipeline import materialize, newest_billed_day, simulator_env

MODEL = build_model(42, "small")
DAY = newest_billed_day()
NOW = dt.datetime.combine(DAY + dt.timedelta(days=4), dt.time(2, 0), tzinfo=dt.UTC)
DENIED = MODEL.environments[2].id


@pytest.fixture(scope="module")
def warehouse(pg_server_url, _template_db, tmp_path_factory):
    gen = module_database(pg_server_url, _template_db)
    url = next(gen)
    home = tmp_path_factory.mktemp("topics")
    mapping = home / "mapping.yaml"
    untagged = next(t for t in MODEL.topics if not t.tags and not t.business_metadata and not t.owner)
    mapping.write_text(yaml.safe_dump({"topics": [{"match": untagged.name, "team": "rule-team",
                                                   "cost_center": "CC-RULE"}]}))
    with start_simulator(clock=MovableClock(NOW), model=MODEL, restricted_keys=(f"K3:S3:{DENIED}",)) as sim:
        env = simulator_env(sim.url, url, home, BILLING_PORTAL_NOW=NOW.isoformat(),
                            BILLING_PORTAL_MAPPING_FILE=str(mapping), CCLOUD_API_KEY="K3", CCLOUD_API_SECRET="S3")
        out = materialize(env, DAY, DAY + dt.timedelta(days=1)).stdout
    yield url, out, untagged
    gen.close()


def q(url, sql, params=()):
    with psycopg.connect(url) as conn:
        return conn.execute(sql, params).fetchall()


def test_the_topic_view_sums_to_every_kafka_cluster_line(warehouse):
    url, out, _ = warehouse
    assert "check hourly_topic_facts:topic_reconciliation passed" in out
    per_line = q(url, "SELECT b.line_no, b.amount, coalesce(f.s, 0) FROM billing_costs b LEFT JOIN"
                      " (SELECT line_no, sum(amount_usd) s FROM hourly_topic_facts GROUP BY 1) f USING (line_no)"
                      " WHERE b.resource_id LIKE 'lkc-%%'")
    assert per_line and all(billed == split for _, billed, split in per_line)
    (other,) = q(url, "SELECT count(*) FROM hourly_topic_facts f JOIN billing_costs b USING (line_no)"
                      " WHERE b.resource_id NOT LIKE 'lkc-%%'")[0]
    assert other == 0, "only lines billed on a Kafka cluster"
    # the principal view is still the whole bill
    assert q(url, "SELECT sum(amount) FROM billing_costs")[0][0] == q(
        url, "SELECT sum(amount_usd) FROM hourly_cost_facts")[0][0]


def test_network_write_follows_each_topics_received_bytes_hour_by_hour(warehouse):
    url, _, _ = warehouse
    usage = MODEL.usage(DAY)
    cluster = next(c for c in MODEL.kafka_clusters if not c.idle and c.env_id != DENIED)
    ci = MODEL.cluster_index[cluster.id]
    topics = [i for i, t in enumerate(MODEL.topics) if t.cluster_id == cluster.id]
    received = {MODEL.topics[i].name: usage.topic_received[i] for i in topics}
    rows = q(url, "SELECT topic, extract(hour FROM hour)::int, sum(amount_usd) FROM hourly_topic_facts"
                  " WHERE cluster_id = %s AND line_type = 'KAFKA_NETWORK_WRITE' GROUP BY 1, 2", (cluster.id,))
    (line_total,) = q(url, "SELECT sum(amount) FROM billing_costs WHERE resource_id = %s"
                           " AND line_type = 'KAFKA_NETWORK_WRITE'", (cluster.id,))[0]
    total_bytes = usage.cluster_request_total[ci]
    assert rows and sum(r[2] for r in rows) == line_total
    for topic, hour, amount in rows:
        expected = line_total * Decimal(int(received[topic][hour])) / Decimal(int(total_bytes))
        assert abs(amount - expected) <= Decimal("0.00000002") * 2, (topic, hour)
    reasons = q(url, "SELECT DISTINCT allocation_reason, confidence FROM hourly_topic_facts WHERE cluster_id = %s"
                     " AND line_type IN ('KAFKA_NETWORK_WRITE', 'KAFKA_NETWORK_READ', 'KAFKA_STORAGE')",
                (cluster.id,))
    assert set(reasons) <= {("topic_received_bytes", "high"), ("topic_sent_bytes", "high"),
                            ("topic_retained_bytes", "high")}
    storage = dict(q(url, "SELECT topic, sum(amount_usd) FROM hourly_topic_facts WHERE cluster_id = %s"
                          " AND line_type = 'KAFKA_STORAGE' GROUP BY 1", (cluster.id,)))
    retained = {MODEL.topics[i].name: usage.topic_retained[i].sum() for i in topics}
    biggest = max(retained, key=retained.get)
    assert max(storage, key=storage.get) == biggest
    assert np.isclose(float(storage[biggest] / sum(storage.values())), retained[biggest] / sum(retained.values()),
                      rtol=1e-6)


def test_owners_from_the_catalog_then_the_mapping_rules(warehouse):
    url, _, untagged = warehouse
    tagged = next(t for t in MODEL.topics if any(x.startswith("team_") for x in t.tags)
                  and MODEL.cluster_by_id[t.cluster_id].env_id != DENIED)
    team = next(x.removeprefix("team_") for x in tagged.tags if x.startswith("team_"))
    got = q(url, "SELECT DISTINCT team, attribution_source FROM topic_attribution WHERE topic = %s"
                 " AND cluster_id = %s", (tagged.name, tagged.cluster_id))
    bm_team = (tagged.business_metadata or {}).get("team")
    assert got in ([(team, "catalog")], [(bm_team, "catalog")])
    rule = q(url, "SELECT DISTINCT team, cost_center, attribution_source FROM topic_attribution WHERE topic = %s",
             (untagged.name,))
    if MODEL.cluster_by_id[untagged.cluster_id].env_id != DENIED:
        assert rule == [("rule-team", "CC-RULE", "mapping")]
    facts = q(url, "SELECT DISTINCT team FROM hourly_topic_facts WHERE topic = %s AND cluster_id = %s",
              (tagged.name, tagged.cluster_id))
    assert [f[0] for f in facts] == [got[0][0]] and facts[0][0] in (team, bm_team)


def test_a_cluster_without_readable_topic_metrics_lands_on_unallocated(warehouse):
    url, _, _ = warehouse
    denied = [c.id for c in MODEL.kafka_clusters if c.env_id == DENIED]
    rows = q(url, "SELECT DISTINCT topic, allocation_reason, team FROM hourly_topic_facts WHERE cluster_id = ANY(%s)",
             (denied,))
    assert rows and set(rows) == {("UNALLOCATED", "no_topic_metrics", "unallocated")}
    (share,) = q(url, "SELECT sum(amount_usd) FILTER (WHERE topic = 'UNALLOCATED') / sum(amount_usd)"
                      " FROM topic_cost_daily")[0]
    assert 0 < share < 1
    # the rollups are the facts (the business and month rollups written by the asset from topic_cost_daily)
    facts = q(url, "SELECT sum(amount_usd), count(*), coalesce(sum(amount_usd) FILTER (WHERE amount_usd > 0), 0)"
                   " FROM hourly_topic_facts")[0]
    for rollup in ("topic_cost_daily", "topic_cost_daily_business", "topic_cost_monthly_business"):
        assert q(url, f"SELECT sum(amount_usd), sum(fact_rows), sum(charges_usd) FROM {rollup}")[0] == facts, rollup
    assert q(url, "SELECT count(DISTINCT usage_date) FROM topic_cost_daily_business")[0] == q(
        url, "SELECT count(DISTINCT usage_date) FROM topic_cost_daily")[0]


def test_the_rollup_and_the_reconciliation_from_memory_are_what_sql_computes_from_the_stored_facts(warehouse):
    """topic_cost_daily and the partition_status row are computed from the facts in memory; the GROUP BY and the
    per-line FULL JOIN over the stored rows give the same rows, to the unit."""
    url, _, _ = warehouse
    dims = ", ".join(TOPIC_COST_DAILY.group_by)
    group_by = (f"SELECT usage_date, {dims}, sum(amount_usd) AS amount_usd, count(*) AS fact_rows,"
                f" coalesce(sum(amount_usd) FILTER (WHERE amount_usd > 0), 0) AS charges_usd"
                f" FROM hourly_topic_facts GROUP BY usage_date, {dims}")
    stored = f"SELECT usage_date, {dims}, amount_usd, fact_rows, charges_usd FROM topic_cost_daily"
    (n,) = q(url, "SELECT count(*) FROM topic_cost_daily")[0]
    assert n > 0 and q(url, f"SELECT count(*) FROM (({stored}) EXCEPT ALL ({group_by})) d")[0][0] == 0
    assert q(url, f"SELECT count(*) FROM (({group_by}) EXCEPT ALL ({stored})) d")[0][0] == 0
    days = q(url, "SELECT usage_date, row_count, amount_usd, details FROM partition_status"
                  " WHERE asset_name = 'hourly_topic_facts' ORDER BY 1")
    assert days
    for day, rows, amount, details in days:
        lo = dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
        mismatched, billed, allocated = q(url, """
            SELECT count(*) FILTER (WHERE b.amount IS DISTINCT FROM f.s), coalesce(sum(b.amount), 0),
                   coalesce(sum(f.s), 0)
            FROM (SELECT line_no, amount FROM billing_costs WHERE usage_date = %(day)s AND resource_id LIKE 'lkc-%%') b
            FULL JOIN (SELECT line_no, sum(amount_usd) AS s FROM hourly_topic_facts
                       WHERE hour >= %(lo)s AND hour < %(hi)s GROUP BY line_no) f USING (line_no)""",
                                          {"day": day, "lo": lo, "hi": lo + dt.timedelta(days=1)})[0]
        (stored_rows,) = q(url, "SELECT count(*) FROM hourly_topic_facts WHERE usage_date = %s", (day,))[0]
        assert (rows, amount) == (stored_rows, allocated)
        assert details["mismatched_lines"] == mismatched == 0
        assert details["billed_usd"] == str(billed)
        (unallocated,) = q(url, "SELECT coalesce(sum(amount_usd), 0) FROM hourly_topic_facts WHERE usage_date = %s"
                                " AND topic = 'UNALLOCATED'", (day,))[0]
        assert details["unallocated_topic_units"] == int(unallocated * 10**8)


@pytest.fixture(scope="module")
def api(warehouse):
    url, _, _ = warehouse
    with LiveServer(sidecar_app(url)) as srv:
        yield srv


def _range():
    lo = dt.datetime.combine(DAY, dt.time(), tzinfo=dt.UTC)
    return f"from_ts={lo:%Y-%m-%dT%H:%M:%SZ}&to_ts={lo + dt.timedelta(days=1):%Y-%m-%dT%H:%M:%SZ}"


def test_topics_over_http_page_filter_and_sum_to_the_cluster_lines(warehouse, api):
    url, _, _ = warehouse
    (billed,) = q(url, "SELECT sum(amount) FROM billing_costs WHERE resource_id LIKE 'lkc-%%'")[0]
    total = requests.get(f"{api.url}/v1/topics/summary?{_range()}", timeout=30).json()
    assert Decimal(total["total_usd"]) == billed
    by_topic = requests.get(f"{api.url}/v1/topics/summary?{_range()}&group_by=cluster_id,topic&granularity=day",
                            timeout=30).json()
    assert sum(Decimal(r["amount_usd"]) for r in by_topic["data"]) == billed
    assert {"cluster_id", "topic"} == set(by_topic["data"][0]["group"])
    hourly = requests.get(f"{api.url}/v1/topics/summary?{_range()}&granularity=hour", timeout=30).json()
    assert len(hourly["data"]) == 24 and Decimal(hourly["total_usd"]) == billed
    # keyset pages walk every fact exactly once
    seen, cursor = [], None
    while True:
        page = requests.get(f"{api.url}/v1/topics?{_range()}&limit=500" + (f"&cursor={cursor}" if cursor else ""),
                            timeout=30).json()
        seen.extend(page["data"])
        cursor = page["next"]
        if not cursor:
            break
    (n,) = q(url, "SELECT count(*) FROM hourly_topic_facts")[0]
    assert len(seen) == n and sum(Decimal(r["amount_usd"]) for r in seen) == billed
    unallocated = requests.get(f"{api.url}/v1/topics?{_range()}&topic=UNALLOCATED&format=csv", timeout=30)
    assert unallocated.status_code == 200 and unallocated.headers["Content-Type"].startswith("text/csv")
    lines = unallocated.text.strip().splitlines()
    assert lines[0].startswith("hour,usage_date,") and len(lines) > 1
    assert all(",UNALLOCATED," in line for line in lines[1:])


def test_topic_dimensions_and_bad_parameters(api):
    dims = requests.get(f"{api.url}/v1/dimensions?dimension_type=topics&{_range()}", timeout=30)
    assert dims.status_code == 200, dims.text
    body = dims.json()
    assert body["dimension_type"] == "topics" and body["count"] == len(body["data"]) > 0
    assert "UNALLOCATED" in {d["value"] for d in body["data"]}
    bad = requests.get(f"{api.url}/v1/topics/summary?{_range()}&group_by=principal", timeout=30)
    assert bad.status_code == 400 and "group_by" in bad.text and "unknown dimension" in bad.text
    inverted = requests.get(f"{api.url}/v1/topics?from_ts=2024-02-01T00:00:00Z&to_ts=2024-01-01T00:00:00Z",
                            timeout=30)
    assert inverted.status_code == 400 and "to_ts" in inverted.text


def test_the_focus_export_of_the_topic_view_and_its_filters(warehouse, api):
    url, _, _ = warehouse
    topic = q(url, "SELECT topic FROM hourly_topic_facts WHERE topic <> 'UNALLOCATED' LIMIT 1")[0][0]
    r = requests.get(f"{api.url}/v1/export/focus?{_range()}&view=topic&topic={topic}", timeout=60)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    (expected,) = q(url, "SELECT sum(amount_usd) FROM hourly_topic_facts WHERE topic = %s", (topic,))[0]
    assert rows and {x["x_Topic"] for x in rows} == {topic}
    assert sum(Decimal(x["BilledCost"]) for x in rows) == expected
    principal = requests.get(f"{api.url}/v1/export/focus?{_range()}&view=topic&principal_id=sa-1", timeout=30)
    assert principal.status_code == 400 and "principal_id" in principal.text and "topic view" in principal.text
    no_view = requests.get(f"{api.url}/v1/export/focus?{_range()}&topic={topic}", timeout=30)
    assert no_view.status_code == 400 and "view=topic" in no_view.text
    bad_view = requests.get(f"{api.url}/v1/export/focus?{_range()}&view=cluster", timeout=30)
    assert bad_view.status_code == 400 and "view" in bad_view.text
