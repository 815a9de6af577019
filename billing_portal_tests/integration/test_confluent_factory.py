"""build_clients / clients_from_settings: every client on its own host with its own key; secrets hidden."""

from __future__ import annotations

import base64
import datetime as dt

import pytest
from pydantic import SecretStr

from billing_portal.config import Settings
from billing_portal.confluent import build_clients, clients_from_settings
from billing_portal_tests.confluent_fixtures import FixtureServer, Reply, fast_config


@pytest.fixture
def servers():
    with FixtureServer() as api, FixtureServer() as telemetry, FixtureServer() as sr:
        yield api, telemetry, sr


def _basic(key: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()


def test_each_client_talks_to_its_host_with_its_key(servers):
    api, telemetry, sr = servers
    api.json("GET", "/billing/v1/costs", {"api_version": "v1", "kind": "CostList", "metadata": {}, "data": []})
    telemetry.json("POST", "/v2/metrics/cloud/query", {"data": []})
    sr.json("GET", "/catalog/v1/search/basic", {"entities": []})
    clients = build_clients(api_key="CLOUDKEY", api_secret=SecretStr("cloud-secret-123"), api_url=api.url,
                            telemetry_url=telemetry.url, schema_registry_url=sr.url,
                            schema_registry_api_key=SecretStr("SRKEY"), schema_registry_api_secret="sr-secret-456",
                            config=fast_config())
    today = dt.datetime.now(dt.UTC).date()
    clients.billing.fetch_costs(today - dt.timedelta(days=3), today)
    clients.metrics.fetch_principal_usage(["lkc-1"], dt.datetime(2024, 5, 1, tzinfo=dt.UTC),
                                          dt.datetime(2024, 5, 1, 1, tzinfo=dt.UTC))
    clients.catalog.fetch_snapshot(types=("kafka_topic",))
    assert {r.authorization for r in api.requests} == {_basic("CLOUDKEY", "cloud-secret-123")}
    assert {r.authorization for r in telemetry.requests} == {_basic("CLOUDKEY", "cloud-secret-123")}
    assert {r.authorization for r in sr.requests} == {_basic("SRKEY", "sr-secret-456")}
    assert clients.billing.http is clients.objects.http
    assert clients.metrics.http.family == "telemetry" and clients.catalog.http.family == "catalog"
    text = repr(clients)
    assert "cloud-secret-123" not in text and "sr-secret-456" not in text
    clients.close()


def test_catalog_is_optional(servers):
    api, telemetry, _ = servers
    clients = build_clients(api_key="K", api_secret="S", api_url=api.url, telemetry_url=telemetry.url)
    assert clients.catalog is None


def test_from_settings(servers):
    api, telemetry, sr = servers
    api.replies("GET", "/org/v2/organizations", Reply(200, {"metadata": {}, "data": [{"id": "org-1"}]}))
    settings = Settings(CCLOUD_API_KEY="K1", CCLOUD_API_SECRET="S1", CCLOUD_API_URL=api.url,
                        CCLOUD_TELEMETRY_URL=telemetry.url, SCHEMA_REGISTRY_URL=sr.url,
                        SCHEMA_REGISTRY_API_KEY="K2", SCHEMA_REGISTRY_API_SECRET="S2")
    clients = clients_from_settings(settings, config=fast_config())
    assert clients.objects.list("/org/v2/organizations") == [{"id": "org-1"}]
    assert api.requests[0].authorization == _basic("K1", "S1")
    assert clients.catalog is not None and clients.catalog.http.base_url == sr.url
