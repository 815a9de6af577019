"""/healthz, /readyz (fresh partition and DB down), the error envelope for 404/405 and the OpenAPI document."""

from __future__ import annotations

import datetime as dt
import re

import requests

from billing_portal_tests.factories import LiveServer, sidecar_app, write_day


def test_readyz_reports_newest_partition_and_age(database_url):
    app = sidecar_app(database_url)
    with LiveServer(app) as srv:
        empty = requests.get(srv.url + "/readyz", timeout=10).json()
        assert empty["status"] == "ready" and empty["newest_complete_partition"] is None
        yesterday = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)
        write_day(database_url, yesterday - dt.timedelta(days=1))
        write_day(database_url, yesterday)
        body = requests.get(srv.url + "/readyz", timeout=10).json()
        assert body["newest_complete_partition"] == yesterday.isoformat()
        assert 0 <= body["partition_age_hours"] < 24
        assert requests.get(srv.url + "/healthz", timeout=10).json() == {"status": "ok"}


def test_database_down_is_503_in_the_envelope_and_healthz_still_answers():
    app = sidecar_app("postgresql://nobody@127.0.0.1:1/none")
    app.extensions["warehouse_pool"].timeout = 1.0
    with LiveServer(app) as srv:
        assert requests.get(srv.url + "/healthz", timeout=10).status_code == 200
        r = requests.get(srv.url + "/readyz", timeout=20)
        assert r.status_code == 503 and r.json()["error"]["code"] == "database_unavailable"
        r = requests.get(srv.url + "/v1/costs?from_ts=2024-01-01T00:00:00Z&to_ts=2024-01-02T00:00:00Z", timeout=20)
        assert r.status_code == 503 and r.json()["error"]["status"] == 503
    app.extensions["warehouse_pool"].close()


def test_envelope_for_404_405_and_openapi(database_url):
    with LiveServer(sidecar_app(database_url)) as srv:
        r = requests.get(srv.url + "/v2/nothing", timeout=10)
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
        r = requests.delete(srv.url + "/v1/costs", timeout=10)
        assert r.status_code == 405 and r.json()["error"] == {"status": 405, "code": "method_not_allowed",
                                                              "parameter": None,
                                                              "message": "method not allowed on this path"}
        spec = requests.get(srv.url + "/openapi.json", timeout=10).json()
        assert spec["openapi"].startswith("3.")
        for path in ("/v1/costs", "/v1/costs/summary", "/v1/dimensions", "/v1/confidence", "/v1/reconciliation",
                     "/v1/forecast", "/v1/export/focus", "/healthz", "/readyz", "/metrics",
                     "/api/v1/collect/billing", "/api/v1/collect/core-objects", "/api/v1/collect/catalog-tags",
                     "/api/v1/collect/full", "/api/v1/collect/runs/{run_id}"):
            assert path in spec["paths"], path
        params = {p["name"] for p in spec["paths"]["/v1/costs"]["get"]["parameters"]}
        assert {"from_ts", "to_ts", "limit", "cursor", "org_id", "team", "business_unit", "confidence"} <= params
        assert spec["components"]["securitySchemes"]["BearerAuth"]["scheme"] == "bearer"
        docs = requests.get(srv.url + "/docs", timeout=10).text
        assert "/docs/static/swagger-ui-bundle.js" in docs and "cdn" not in docs.lower()
        assert not re.search(r'(src|href|url)\s*[=:]\s*"https?://', docs), "the docs page loads something remote"
