"""The transport against a real HTTP server: auth, retries and waits, faults, error messages, secrets, threads."""

from __future__ import annotations

import base64
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from billing_portal.confluent.catalog import CatalogClient
from billing_portal.confluent.http import ConfluentHttp
from billing_portal.confluent.pagination import iter_envelope
from billing_portal.errors import ConfluentApiError, ConfluentAuthError
from billing_portal_tests.confluent_fixtures import (
    KEY,
    SECRET,
    FixtureServer,
    Reply,
    confluent_error,
    fast_config,
    http_for,
)

OK = Reply(200, {"api_version": "org/v2", "kind": "EnvironmentList", "metadata": {}, "data": [{"id": "env-1"}]})
PATH = "/org/v2/environments"


@pytest.fixture
def server():
    with FixtureServer() as s:
        yield s


def _gaps(server, path):
    times = [r.at for r in server.calls(path)]
    return [b - a for a, b in zip(times, times[1:], strict=False)]


def test_basic_auth_user_agent_and_json(server):
    server.replies("GET", PATH, OK)
    http = http_for(server)
    assert http.get(PATH)["data"] == [{"id": "env-1"}]
    req = server.calls(PATH)[0]
    assert req.authorization == "Basic " + base64.b64encode(f"{KEY}:{SECRET}".encode()).decode()
    assert req.headers["user-agent"].startswith("billing-portal/")
    assert req.headers["accept"] == "application/json"


def test_429_waits_for_retry_after_then_succeeds(server):
    server.replies("GET", PATH, Reply(429, {"errors": [{"status": "429", "detail": "Too Many Requests"}]},
                                      {"Retry-After": "0.4"}), OK)
    http = http_for(server)
    t0 = time.monotonic()
    assert http.get(PATH)["data"] == [{"id": "env-1"}]
    elapsed = time.monotonic() - t0
    gaps = _gaps(server, PATH)
    assert len(gaps) == 1
    assert 0.4 <= gaps[0] < 0.4 + 0.04 + 0.25, gaps  # Retry-After + ≤10 % jitter + scheduling slack
    assert elapsed < 1.0


def test_503_burst_then_success_with_backoff_logged(server, caplog):
    caplog.set_level(logging.INFO, logger="billing_portal.confluent")
    server.replies("GET", PATH, Reply(503, "Service Unavailable"), Reply(502, ""), Reply(503, ""), OK)
    assert http_for(server).get(PATH)["data"] == [{"id": "env-1"}]
    assert len(server.calls(PATH)) == 4
    retries = [r for r in caplog.records if "retry" in r.getMessage()]
    assert len(retries) == 3
    assert all(PATH in r.getMessage() and r.levelno == logging.WARNING for r in retries)
    assert "in 0.0" in retries[0].getMessage()  # the wait is in the message (tiny test backoff)


def test_reset_header_waits_on_429_without_retry_after(server):
    server.replies("GET", PATH, Reply(429, "", {"X-RateLimit-Limit": "25", "X-RateLimit-Remaining": "0",
                                                "X-RateLimit-Reset": "0.3"}), OK)
    http_for(server).get(PATH)
    assert _gaps(server, PATH)[0] >= 0.3


def test_telemetry_reset_header_when_remaining_is_zero(server):
    path = "/v2/metrics/cloud/query"
    server.replies("POST", path, Reply(503, "", {"rateLimit-limit": "300", "rateLimit-remaining": "0",
                                                 "rateLimit-reset": "0.3"}), Reply(200, {"data": []}))
    http_for(server, "telemetry").post(path, {"q": 1})
    assert _gaps(server, path)[0] >= 0.3


def test_exhausted_window_on_a_success_holds_back_the_next_request(server):
    server.replies("GET", PATH, Reply(200, {"data": []}, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "0.3"}),
                   Reply(200, {"data": []}))
    http = http_for(server, backoff_cap=1.0)
    http.get(PATH)
    http.get(PATH)
    assert _gaps(server, PATH)[0] >= 0.3


def test_retry_budget_exhausted_gives_a_clear_error(server):
    server.replies("GET", PATH, confluent_error(503, "upstream unavailable"))
    with pytest.raises(ConfluentApiError) as err:
        http_for(server).get(PATH)
    msg = str(err.value)
    assert "failed after 5 attempts" in msg and PATH in msg
    assert "HTTP 503" in msg and "upstream unavailable" in msg
    assert err.value.status == 503 and err.value.url == PATH
    assert len(server.calls(PATH)) == 5


def test_a_retry_after_longer_than_the_budget_fails_at_once(server):
    server.replies("GET", PATH, Reply(429, "", {"Retry-After": "120"}))
    t0 = time.monotonic()
    with pytest.raises(ConfluentApiError) as err:
        http_for(server, max_total_sleep=2.0).get(PATH)
    assert time.monotonic() - t0 < 1.0
    assert "asked to wait 120.0 s (Retry-After)" in str(err.value)
    assert "2 s retry budget" in str(err.value)
    assert len(server.calls(PATH)) == 1


def test_connection_reset_then_success(server):
    server.replies("GET", PATH, Reply(fault="reset"), OK)
    assert http_for(server).get(PATH)["data"] == [{"id": "env-1"}]
    assert len(server.calls(PATH)) == 2


def test_invalid_json_then_success(server):
    server.replies("GET", PATH, Reply(200, b'{"data": [{"id": "env-1"'), OK)
    assert http_for(server).get(PATH)["data"] == [{"id": "env-1"}]
    assert len(server.calls(PATH)) == 2


def test_body_shorter_than_content_length_then_success(server):
    server.replies("GET", PATH, Reply(200, {"data": [{"id": "env-1"}]}, fault="truncate"), OK)
    assert http_for(server).get(PATH)["data"] == [{"id": "env-1"}]
    assert len(server.calls(PATH)) == 2


def test_read_timeout_then_success(server):
    server.replies("GET", PATH, Reply(200, {"data": []}, delay=1.0), OK)
    assert http_for(server, read_timeout=0.3).get(PATH)["data"] == [{"id": "env-1"}]
    assert len(server.calls(PATH)) == 2


def test_401_names_the_variables_and_the_key_type(server):
    server.replies("GET", PATH, Reply(401, {"errors": [{"status": "401", "detail": "Unauthorized"}]},
                                      {"WWW-Authenticate": 'Basic error="invalid_key"'}))
    with pytest.raises(ConfluentAuthError) as err:
        http_for(server).get(PATH)
    msg = str(err.value)
    assert "rejected the API key" in msg and "CCLOUD_API_KEY" in msg and "CCLOUD_API_SECRET" in msg
    assert "Cloud API key" in msg and "cluster-scoped" in msg
    assert err.value.status == 401 and len(server.calls(PATH)) == 1  # not retried


def test_401_on_the_catalog_names_the_schema_registry_variables(server):
    server.json("GET", "/catalog/v1/search/basic", {"error_code": 401, "message": "Unauthorized"}, status=401)
    with pytest.raises(ConfluentAuthError) as err:
        CatalogClient(http_for(server, "catalog")).search("kafka_topic")
    assert "SCHEMA_REGISTRY_API_KEY" in str(err.value) and "SCHEMA_REGISTRY_API_SECRET" in str(err.value)
    assert "Schema Registry API key" in str(err.value)


@pytest.mark.parametrize(("family", "method", "path", "role"), [
    ("cloud", "GET", "/billing/v1/costs", "BillingAdmin or OrganizationAdmin"),
    ("cloud", "GET", "/iam/v2/service-accounts", "OrganizationAdmin (or EnvironmentAdmin"),
    ("cloud", "GET", "/cmk/v2/clusters", "OrganizationAdmin (or EnvironmentAdmin for environment-scoped lists)"),
    ("telemetry", "POST", "/v2/metrics/cloud/query", "MetricsViewer (or OrganizationAdmin)"),
    ("catalog", "GET", "/catalog/v1/search/basic", "DataSteward or ResourceOwner on the Schema Registry cluster"),
])
def test_403_names_the_missing_role(server, family, method, path, role):
    server.replies(method, path, Reply(403, {"errors": [{"status": "403", "code": "forbidden_access",
                                                         "detail": "Forbidden Access", "source": {}}]}))
    http = http_for(server, family)
    with pytest.raises(ConfluentAuthError) as err:
        http.request(method, path, json_body={} if method == "POST" else None)
    assert role in str(err.value) and "403" in str(err.value) and path in str(err.value)
    assert len(server.calls(path)) == 1


def test_other_4xx_carries_status_endpoint_and_api_detail(server):
    server.replies("GET", "/billing/v1/costs", confluent_error(400, "end date and start date are too far apart",
                                                               "invalid_filter"))
    with pytest.raises(ConfluentApiError) as err:
        http_for(server).get("/billing/v1/costs", {"start_date": "2024-01-01", "end_date": "2024-03-01"})
    msg = str(err.value)
    assert "400" in msg and "/billing/v1/costs" in msg and "end date and start date are too far apart" in msg
    assert not isinstance(err.value, ConfluentAuthError)
    assert len(server.calls("/billing/v1/costs")) == 1


def test_catalog_error_envelope_message_is_reported(server):
    server.json("GET", "/catalog/v1/search/basic", {"error_code": 40001, "message": "Invalid type: nope"}, 400)
    with pytest.raises(ConfluentApiError, match="Invalid type: nope"):
        http_for(server, "catalog").get("/catalog/v1/search/basic", {"type": "nope"})


def test_404_on_a_list_is_empty_but_an_error_elsewhere(server):
    assert list(iter_envelope(http_for(server), "/fcpm/v2/compute-pools", {"environment": "env-1"})) == []
    with pytest.raises(ConfluentApiError) as err:
        http_for(server).get("/org/v2/environments/env-404")
    assert err.value.status == 404


def test_secrets_never_appear_in_errors_logs_or_reprs(server, caplog):
    caplog.set_level(logging.DEBUG)  # every logger, urllib3 included
    basic = base64.b64encode(f"{KEY}:{SECRET}".encode()).decode()
    server.replies("GET", "/a", Reply(503, ""), Reply(fault="reset"), Reply(200, b"{bad"), OK)
    server.replies("GET", "/b", Reply(401, {"errors": [{"detail": "Unauthorized"}]}))
    server.replies("GET", "/c", Reply(403, {"errors": [{"detail": "Forbidden Access"}]}))
    server.replies("GET", "/d", Reply(429, "", {"Retry-After": "999"}))
    server.replies("GET", "/e", confluent_error(503, "down"))
    http = http_for(server)
    texts = [repr(http), str(http.__dict__.get("config"))]
    http.get("/a")
    for path in ("/b", "/c", "/d", "/e"):
        with pytest.raises(ConfluentApiError) as err:
            http.get(path)
        texts += [str(err.value), repr(err.value), repr(err.value.__dict__), repr(err.value.__context__)]
    texts.append(caplog.text)
    texts.extend(r.getMessage() for r in caplog.records)
    blob = "\n".join(texts)
    assert "retry" in caplog.text  # something was logged, so the check below means something
    assert SECRET not in blob and basic not in blob


def test_thread_safe_from_a_pool(server):
    lock = threading.Lock()
    count = {"n": 0}

    def handler(req):
        with lock:
            count["n"] += 1
            n = count["n"]
        if n % 7 == 0:
            return Reply(503, "")
        return Reply(200, {"echo": req.param("i")})

    server.route("GET", "/echo", handler)
    http = http_for(server)
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda i: http.get("/echo", {"i": i})["echo"], range(80)))
    assert results == [str(i) for i in range(80)]
    assert len(http._all) <= 8  # one session per concurrent caller, reused
    http.close()


def test_sessions_are_closed_and_the_client_is_a_context_manager(server):
    server.replies("GET", PATH, OK)
    with ConfluentHttp(server.url, KEY, SECRET, fast_config()) as http:
        http.get(PATH)
        assert http._all
    assert http._all == []


def test_tls_errors_fail_at_once_with_a_hint(server):
    http = ConfluentHttp(server.url.replace("http://", "https://"), KEY, SECRET, fast_config(max_attempts=8))
    t0 = time.monotonic()
    with pytest.raises(ConfluentApiError, match="TLS error") as err:
        http.get(PATH)
    assert "REQUESTS_CA_BUNDLE" in str(err.value) and SECRET not in str(err.value)
    assert time.monotonic() - t0 < 1.5
