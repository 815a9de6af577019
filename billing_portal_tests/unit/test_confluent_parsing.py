"""Pure helpers of the clients: next-URL resolution, billing windows, metrics bodies, catalog names, secrets."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlsplit

import pytest

from billing_portal.confluent.billing import BillingClient, earliest_start, split_windows
from billing_portal.confluent.catalog import parse_qualified_name, pg_text_array
from billing_portal.confluent.http import ConfluentHttp, HttpConfig
from billing_portal.confluent.metrics import build_query, cluster_filter, metric_name
from billing_portal.confluent.objects import scrub_config
from billing_portal.confluent.pagination import resolve_next
from billing_portal.errors import ConfigError

KEY, SECRET = "KEYID123", "very-secret-value-xyz"


def _http(base="https://api.confluent.cloud", family="cloud"):
    return ConfluentHttp(base, KEY, SECRET, HttpConfig(), family=family)


def test_same_origin_next_is_followed_verbatim():
    nxt = "https://api.confluent.cloud/cmk/v2/clusters?environment=env-1&page_size=99&page_token=dyJp%2B%3D"
    assert resolve_next(_http(), nxt, {"environment": "env-1", "page_size": 99}) == nxt


def test_next_on_another_origin_is_rebased_onto_the_configured_base():
    http = _http("http://127.0.0.1:8080")
    url = resolve_next(http, "https://api.confluent.cloud/org/v2/environments?page_size=99&page_token=T", {})
    assert url == "http://127.0.0.1:8080/org/v2/environments?page_size=99&page_token=T"
    # a base URL with a path prefix (a proxy) keeps its prefix
    proxy = _http("https://proxy.corp.example/confluent")
    url = resolve_next(proxy, "https://api.confluent.cloud/iam/v2/users?page_token=T", {})
    assert url == "https://proxy.corp.example/confluent/iam/v2/users?page_token=T"
    # same scheme and host but another port is another origin
    url = resolve_next(_http("https://api.confluent.cloud"), "https://api.confluent.cloud:8443/x?page_token=T", {})
    assert url == "https://api.confluent.cloud/x?page_token=T"


def test_relative_next_is_resolved_on_the_base():
    proxy = _http("https://proxy.corp.example/confluent")
    assert resolve_next(proxy, "/iam/v2/users?page_token=T", {}) == \
        "https://proxy.corp.example/confluent/iam/v2/users?page_token=T"
    assert resolve_next(proxy, "/confluent/iam/v2/users?page_token=T", {}) == \
        "https://proxy.corp.example/confluent/iam/v2/users?page_token=T"


def test_parameters_the_next_url_lost_are_re_sent():
    url = resolve_next(_http(), "https://api.confluent.cloud/billing/v1/costs?page_token=abc",
                       {"start_date": "2024-05-01", "end_date": "2024-06-01", "page_size": 2000,
                        "page_token": "old"})
    q = parse_qs(urlsplit(url).query)
    assert q == {"page_token": ["abc"], "start_date": ["2024-05-01"], "end_date": ["2024-06-01"],
                 "page_size": ["2000"]}


def test_http_refuses_absolute_urls_elsewhere():
    http = _http()
    with pytest.raises(ValueError, match="refusing to send credentials"):
        http.url_for("https://evil.example/org/v2/environments")
    assert http.url_for("/org/v2/environments") == "https://api.confluent.cloud/org/v2/environments"


def test_repr_and_config_errors_never_show_the_secret():
    http = _http()
    assert SECRET not in repr(http) and KEY not in repr(http)
    assert SECRET not in repr(BillingClient(http))
    with pytest.raises(ConfigError) as err:
        ConfluentHttp(f"https://{KEY}:{SECRET}@api.confluent.cloud", KEY, SECRET)
    assert SECRET not in str(err.value)
    with pytest.raises(ConfigError, match="CCLOUD_API_KEY and CCLOUD_API_SECRET"):
        ConfluentHttp("https://api.confluent.cloud", KEY, "")
    with pytest.raises(ConfigError, match="SCHEMA_REGISTRY_API_KEY"):
        ConfluentHttp("https://psrc-1.confluent.cloud", "", "", family="catalog")


def test_billing_windows_are_at_most_31_days_and_cover_the_range():
    start, end = dt.date(2024, 1, 1), dt.date(2024, 4, 15)
    windows = split_windows(start, end)
    assert windows[0] == (dt.date(2024, 1, 1), dt.date(2024, 2, 1))
    assert windows[-1][1] == end
    assert all((hi - lo).days <= 31 for lo, hi in windows)
    assert all(a[1] == b[0] for a, b in zip(windows, windows[1:], strict=False))
    assert split_windows(dt.date(2024, 1, 1), dt.date(2024, 2, 1)) == [(dt.date(2024, 1, 1), dt.date(2024, 2, 1))]
    assert split_windows(dt.date(2024, 1, 1), dt.date(2024, 2, 2)) == [
        (dt.date(2024, 1, 1), dt.date(2024, 2, 1)), (dt.date(2024, 2, 1), dt.date(2024, 2, 2))]


def test_earliest_start_is_one_calendar_year_back():
    assert earliest_start(dt.date(2024, 7, 20)) == dt.date(2023, 7, 20)
    assert earliest_start(dt.date(2024, 2, 29)) == dt.date(2023, 2, 28)


def test_metrics_query_body_batches_clusters_with_an_or_filter():
    lo = dt.datetime(2024, 5, 1, tzinfo=dt.UTC)
    body = build_query("request_bytes", ["lkc-1", "lkc-2"], lo, lo + dt.timedelta(days=1),
                       group_by=["resource.kafka.id", "metric.principal_id"])
    assert body == {
        "aggregations": [{"metric": "io.confluent.kafka.server/request_bytes"}],
        "filter": {"op": "OR", "filters": [{"field": "resource.kafka.id", "op": "EQ", "value": "lkc-1"},
                                           {"field": "resource.kafka.id", "op": "EQ", "value": "lkc-2"}]},
        "group_by": ["resource.kafka.id", "metric.principal_id"], "granularity": "PT1H",
        "intervals": ["2024-05-01T00:00:00Z/2024-05-02T00:00:00Z"], "limit": 1000, "format": "FLAT"}
    assert cluster_filter(["lkc-9"]) == {"field": "resource.kafka.id", "op": "EQ", "value": "lkc-9"}
    assert metric_name("io.confluent.kafka.server/retained_bytes") == "io.confluent.kafka.server/retained_bytes"
    extra = build_query("retained_bytes", ["lkc-1"], lo, lo + dt.timedelta(hours=1), group_by=["metric.topic"],
                        extra_filters=[{"field": "metric.topic", "op": "EQ", "value": "orders"}])
    assert extra["filter"]["op"] == "AND" and len(extra["filter"]["filters"]) == 2


@pytest.mark.parametrize(("qn", "etype", "expected"), [
    ("lsrc-8wrx70:lkc-m80307:orders", "kafka_topic", ("lsrc-8wrx70", "lkc-m80307", "orders")),
    ("lsrc-8wrx70:lkc-m80307:my.topic-v1_x", "kafka_topic", ("lsrc-8wrx70", "lkc-m80307", "my.topic-v1_x")),
    ("lsrc-8wrx70:lkc-m80307", "kafka_logical_cluster", ("lsrc-8wrx70", "lkc-m80307", None)),
    ("lsrc-8wrx70:.:100001", "sr_schema", ("lsrc-8wrx70", None, None)),
    ("lkc-m80307", "kafka_logical_cluster", (None, "lkc-m80307", None)),
    ("something-else", "kafka_topic", (None, None, None)),
])
def test_qualified_names_are_parsed(qn, etype, expected):
    assert parse_qualified_name(qn, etype) == expected


def test_postgres_array_literal_escapes_quotes_and_backslashes():
    assert pg_text_array(["PII", "cost_center_42"]) == '{"PII","cost_center_42"}'
    assert pg_text_array(['a"b', "c\\d"]) == '{"a\\"b","c\\\\d"}'
    assert pg_text_array([]) == "{}"


def test_connector_config_secrets_are_masked():
    cfg = scrub_config({"kafka.api.key": "ABC", "kafka.api.secret": "s", "connection.password": "p",
                        "aws.secret.access.key": "k", "gcp.credentials.json": "{}", "oauth.token": "t",
                        "tasks.max": "1", "connection.user": "u"})
    assert cfg["kafka.api.key"] == "ABC" and cfg["tasks.max"] == "1" and cfg["connection.user"] == "u"
    assert all(cfg[k] == "****" for k in ("kafka.api.secret", "connection.password", "aws.secret.access.key",
                                          "gcp.credentials.json", "oauth.token"))
