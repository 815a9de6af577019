"""Every answer of the live sidecar (waitress, real PostgreSQL, 3 seeded days of both views) is exactly what its
OpenAPI schema documents: no field it does not document, every required one, and — over all the answers here —
every documented field at least once; CSV variants have the row schema's fields as columns. And the sidecar only
reads: its connections refuse any write, DDL included."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import psycopg
import pytest
import requests
from marshmallow import fields
from psycopg.types.json import Jsonb

from billing_portal.sidecar.responses import (
    VIEW_PAGES,
    CollectAccepted,
    ConfidenceReport,
    ConfidenceRow,
    Dimensions,
    ErrorEnvelope,
    Forecast,
    Health,
    OwnershipWorklist,
    Ready,
    Reconciliation,
    ReconciliationRow,
    RunStatus,
    Summary,
    SummaryRow,
    WorklistItem,
    field_names,
)
from billing_portal.warehouse.derived_rollups import rebuild_derived_rollups
from billing_portal_tests.factories import (
    API_TOKEN,
    Line,
    LiveServer,
    Payer,
    StandInLauncher,
    default_lines,
    module_database,
    sidecar_app,
    write_day,
)

FIRST = dt.date(2024, 1, 10)
R = "from_ts=2024-01-10T00:00:00Z&to_ts=2024-01-13T00:00:00Z"
P = "from_ts=2024-01-10T05:00:00Z&to_ts=2024-01-12T07:30:00Z"
AUTH = {"Authorization": f"Bearer {API_TOKEN}"}


@pytest.fixture(scope="module")
def api(pg_server_url, _template_db):
    """3 days of cost facts (one principal without a team, for the ownership worklist), topic facts made from them
    (each cluster's facts on a topic named after its principal) with their day rollup, as the topic view's writer
    leaves them, and an observation that could not read a scope."""
    gen = module_database(pg_server_url, _template_db)
    url = next(gen)
    for i in range(3):
        write_day(url, FIRST + dt.timedelta(days=i), [*default_lines(1 + i), Line(
            "KAFKA", "KAFKA_NETWORK_WRITE", Decimal("3.00000000"), (Payer("sa-4", 1, owner="rupert@company.com"),),
            resource_id="lkc-bbb", resource_type="kafka_cluster", env_id="env-2", cluster_id="lkc-bbb")])
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("INSERT INTO observations (source, observed_at, skipped) VALUES ('catalog', now(), %s)",
                     (Jsonb({"detail": [{"sr_id": "lsrc-1", "reason": "no key for this registry"}]}),))
        for i in range(3):
            lo = dt.datetime.combine(FIRST + dt.timedelta(days=i), dt.time(), tzinfo=dt.UTC)
            part = f"hourly_topic_facts_p{lo:%Y%m%d}"
            conn.execute(f"CREATE TABLE {part} (LIKE hourly_topic_facts INCLUDING DEFAULTS)")
            conn.execute(
                f"INSERT INTO {part} SELECT usage_date, hour, (row_number() OVER (ORDER BY fact_no))::int - 1,"
                " line_no, org_id, env_id, cluster_id, product, line_type, principal_id, owner, team, business_unit,"
                " business_product, cost_center, amount_usd, allocation_method, allocation_reason, confidence"
                " FROM hourly_cost_facts WHERE usage_date = %s AND cluster_id IS NOT NULL", (lo.date(),))
            conn.execute(f"ALTER TABLE hourly_topic_facts ATTACH PARTITION {part} FOR VALUES FROM"
                         f" ('{lo.isoformat()}') TO ('{(lo + dt.timedelta(days=1)).isoformat()}')")
        dims = ", ".join(("org_id", "env_id", "cluster_id", "product", "line_type", "topic", "owner", "team",
                          "business_unit", "business_product", "cost_center", "allocation_method",
                          "allocation_reason", "confidence"))
        conn.execute(f"INSERT INTO topic_cost_daily (usage_date, {dims}, amount_usd, charges_usd, fact_rows)"
                     f" SELECT usage_date, {dims}, sum(amount_usd), coalesce(sum(amount_usd) FILTER"
                     f" (WHERE amount_usd > 0), 0), count(*) FROM hourly_topic_facts GROUP BY usage_date, {dims}")
        # as the topic writer does after topic_cost_daily: its business rollup and month rollup
        rebuild_derived_rollups(conn, "hourly_topic_facts", FIRST, FIRST + dt.timedelta(days=2))
    app = sidecar_app(url, BILLING_PORTAL_API_TOKEN=API_TOKEN, BILLING_START_DATE="2024-01-01")
    app.extensions["dagster"] = StandInLauncher()
    with LiveServer(app) as srv:
        yield srv
    gen.close()


def _nested(field: fields.Field):
    if isinstance(field, fields.Nested):
        return field.nested, False
    if isinstance(field, fields.List) and isinstance(field.inner, fields.Nested):
        return field.inner.nested, True
    return None, False


def documented(body: dict, schema, seen: set) -> None:
    """`body` has no field `schema` does not document and every required one (nested answers likewise)."""
    declared = schema._declared_fields
    assert set(body) <= set(declared), (schema.__name__, set(body) - set(declared))
    assert {n for n, f in declared.items() if f.required} <= set(body), schema.__name__
    for name, value in body.items():
        seen.add((schema.__name__, name))
        inner, many = _nested(declared[name])
        for item in (value if many else [value]) if inner is not None else []:
            documented(item, inner, seen)


JSON = [
    ("GET", "/healthz", Health), ("GET", "/readyz", Ready),
    ("GET", f"/v1/costs?{R}&limit=3", VIEW_PAGES["principal"]), ("GET", f"/v1/topics?{P}&limit=3", VIEW_PAGES["topic"]),
    ("GET", f"/v1/costs/summary?{P}&group_by=team,principal&granularity=day", Summary),
    ("GET", f"/v1/topics/summary?{R}&group_by=topic&granularity=hour", Summary),
    ("GET", "/v1/dimensions?dimension_type=clusters", Dimensions),
    ("GET", f"/v1/dimensions?dimension_type=topics&{R}", Dimensions),
    ("GET", f"/v1/confidence?{R}", ConfidenceReport), ("GET", f"/v1/ownership/worklist?{R}", OwnershipWorklist),
    ("GET", f"/v1/reconciliation?{R}", Reconciliation),
    ("GET", "/v1/forecast?month=2024-01&group_by=team", Forecast),
    ("POST", "/api/v1/collect/billing?start=2024-01-10&end=2024-01-11", CollectAccepted),
    ("GET", "/api/v1/collect/runs/2b1f6d3c-5a2e-4c1b-9d7e-0f1e2d3c4b5a", RunStatus),
    ("GET", f"/v1/costs?{R}&limit=0&cursor=%20", ErrorEnvelope),
]


def test_every_answer_is_its_documented_shape_and_every_documented_field_is_answered(api):
    seen: set = set()
    schemas = set()
    for method, path, schema in JSON:
        r = requests.request(method, api.url + path, headers=AUTH, timeout=30)
        assert r.status_code < 500 and r.headers["Content-Type"].startswith("application/json"), (path, r.text)
        documented(r.json(), schema, seen)
        schemas.add(schema)
    expected = set()
    todo = list(schemas)
    while todo:
        schema = todo.pop()
        for name, field in schema._declared_fields.items():
            expected.add((schema.__name__, name))
            inner, _ = _nested(field)
            if inner is not None:
                todo.append(inner)
    assert expected - seen == set()


@pytest.mark.parametrize(("path", "columns"), [
    (f"/v1/costs?{R}&format=csv", field_names(VIEW_PAGES["principal"]._declared_fields["data"].inner.nested)),
    (f"/v1/topics?{R}&format=csv", field_names(VIEW_PAGES["topic"]._declared_fields["data"].inner.nested)),
    (f"/v1/costs/summary?{R}&group_by=bu,product&format=csv",
     tuple(c for n in field_names(SummaryRow) for c in (("business_unit", "product") if n == "group" else (n,)))),
    (f"/v1/confidence?{R}&format=csv", field_names(ConfidenceRow)),
    (f"/v1/ownership/worklist?{R}&format=csv", field_names(WorklistItem, "mapping_yaml")),
    (f"/v1/reconciliation?{R}&format=csv", field_names(ReconciliationRow)),
])
def test_csv_columns_are_the_row_schemas_fields(api, path, columns):
    r = requests.get(api.url + path, timeout=30)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/csv"), r.text
    rows = list(csv.reader(io.StringIO(r.text)))
    assert tuple(rows[0]) == columns and len(rows) > 1


def test_the_sidecar_connections_refuse_writes(api):
    with api.app.extensions["warehouse_pool"].connection() as conn:
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            conn.execute("CREATE TABLE sidecar_must_not_write (x int)")
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            conn.execute("DELETE FROM hourly_cost_facts")
    assert requests.get(f"{api.url}/v1/costs/summary?{R}", timeout=30).json()["total_usd"] != "0.00000000"
