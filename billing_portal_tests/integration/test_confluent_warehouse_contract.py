"""The frames the clients produce load as-is into the warehouse tables (COPY through warehouse/copy.py)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import psycopg
import pytest

from billing_portal.confluent.catalog import CatalogClient
from billing_portal.confluent.metrics import MetricsClient
from billing_portal.confluent.normalize import normalize_costs
from billing_portal.confluent.objects import TABLES, ObjectsClient
from billing_portal.warehouse.replace import replace_days
from billing_portal_tests.confluent_fixtures import FixtureServer, http_for, load
from billing_portal_tests.integration.test_confluent_catalog import FakeCatalog
from billing_portal_tests.integration.test_confluent_metrics import FakeTelemetry
from billing_portal_tests.integration.test_confluent_objects import serve_objects

DAY = dt.date(2024, 5, 1)


def _load(conn, table, date_column, frame):
    frame = frame.copy()
    frame[date_column] = DAY
    cols = [c for c in frame.columns if c != "amount_units"]
    return replace_days(conn, table, date_column, [DAY], frame, cols)


@pytest.fixture
def server():
    with FixtureServer() as s:
        yield s


def test_billing_lines_and_quarantine_load_exactly(database_url):
    rows = load("cost_rows.json") + [{"start_date": "2024-05-01", "product": "KAFKA", "line_type": "X"}]
    batch = normalize_costs(rows, DAY, DAY + dt.timedelta(days=1))
    lines = batch.lines.copy()
    lines["org_id"] = "org-1"
    with psycopg.connect(database_url) as conn, conn.transaction():
        assert _load(conn, "billing_costs", "usage_date", lines) == len(lines) == 7
        assert _load(conn, "quarantine_rows", "usage_date", batch.quarantine) == 2  # cost-7 is on May 2
        total, n_null_price = conn.execute(
            "SELECT sum(amount), count(*) FILTER (WHERE price IS NULL) FROM billing_costs").fetchone()
        raw, tiers = conn.execute("SELECT raw, tier_dimensions FROM billing_costs WHERE source_id = 'cost-1'"
                                  ).fetchone()
        reasons = sorted(r[0].split(":")[0] for r in conn.execute("SELECT reason FROM quarantine_rows"))
    assert total == batch.stats["lines_amount"] == Decimal("96.45500000")
    assert n_null_price == 3  # cost-3, cost-4, cost-5 carry no price
    assert raw == rows[0] and tiers == {"provider": "aws", "region": "us-east-1"}
    assert reasons == ["missing_amount", "outside_window"]


def test_object_frames_load(server, database_url):
    serve_objects(server, load("objects.json"), {("env-a1", "lkc-m80307"): load("connectors.json")})
    snap = ObjectsClient(http_for(server)).fetch_snapshot(DAY)
    with psycopg.connect(database_url) as conn, conn.transaction():
        for name in TABLES:
            assert _load(conn, name, "snapshot_date", getattr(snap, name)) == len(getattr(snap, name)), name
        created = conn.execute("SELECT created_at FROM environments WHERE env_id = 'env-a1'").fetchone()[0]
        cku, tasks = conn.execute("SELECT k.cku, c.tasks_max FROM kafka_clusters k, connectors c "
                                  "WHERE k.cluster_id = 'lkc-m80307' AND c.connector_id = 'lcc-def456'").fetchone()
    assert created == dt.datetime(2023, 2, 3, 4, 5, 6, 789000, tzinfo=dt.UTC)
    assert (cku, tasks) == (2, 4)


def test_catalog_frames_load_with_the_array_column(server, database_url):
    data = load("catalog.json")
    FakeCatalog(server, {"kafka_logical_cluster": data["kafka_logical_cluster"], "kafka_topic": data["kafka_topic"]},
                data["tags"], data["businessmetadata"])
    snap = CatalogClient(http_for(server, "catalog")).fetch_snapshot()
    with psycopg.connect(database_url) as conn, conn.transaction():
        _load(conn, "catalog_entities", "snapshot_date", snap.entities)
        _load(conn, "catalog_tags", "snapshot_date", snap.tags)
        _load(conn, "catalog_business_metadata", "snapshot_date", snap.business_metadata)
        names = dict(conn.execute("SELECT topic, classification_names FROM catalog_entities "
                                  "WHERE entity_type = 'kafka_topic'").fetchall())
        attrs = conn.execute("SELECT attributes FROM catalog_business_metadata").fetchone()[0]
    assert names == {"orders": ["PII", "cost_center_42"], "clicks": [], "gone": None}
    assert attrs == {"business_unit": "payments", "cost_center": "CC-42"}


def test_principal_usage_loads(server, database_url):
    FakeTelemetry(server, principals=3, unknown_on="lkc-0000")
    lo = dt.datetime.combine(DAY, dt.time(), tzinfo=dt.UTC)
    usage = MetricsClient(http_for(server, "telemetry")).fetch_principal_usage(["lkc-0000", "lkc-0001"], lo,
                                                                              lo + dt.timedelta(days=1))
    with psycopg.connect(database_url) as conn, conn.transaction():
        assert _load(conn, "principal_usage_hourly", "usage_date", usage) == len(usage) == (2 * 3 + 1) * 24
        first = conn.execute("SELECT min(hour), count(DISTINCT principal_id) FROM principal_usage_hourly").fetchone()
    assert first == (lo, 4)


def test_raw_text_is_valid_json_for_jsonb(server):
    batch = normalize_costs([{"start_date": "2024-05-01", "product": "KAFKA", "line_type": "K", "amount": 1,
                              "description": "naïve \u2603 \"quoted\""}], DAY, DAY + dt.timedelta(days=1))
    assert json.loads(batch.lines.iloc[0]["raw"])["description"] == "naïve \u2603 \"quoted\""
