"""MetricsClient against a fixture telemetry API: batching, identical-body pagination, parsing, request economy."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time

import pandas as pd
import pytest

from billing_portal.confluent.metrics import MetricsClient
from billing_portal.errors import ConfluentApiError
from billing_portal_tests.confluent_fixtures import FixtureServer, Recorded, Reply, confluent_error, http_for

PATH = "/v2/metrics/cloud/query"
DAY = dt.datetime(2024, 5, 1, tzinfo=dt.UTC)


class FakeTelemetry:
    """Groups = (cluster, principal) pairs, `limit` groups per page, points newest first, `principal_name` extra
    key; a page token only works with the identical body it was issued for (like the real API)."""

    def __init__(self, server: FixtureServer, principals: int = 3, *, unknown_on: str | None = None,
                 no_response_every: int = 0, extra_outside_window: bool = False, delay: float = 0.0):
        self.principals, self.unknown_on = principals, unknown_on
        self.no_response_every, self.extra_outside_window, self.delay = no_response_every, extra_outside_window, delay
        self.tokens: dict[str, tuple[str, int]] = {}
        self.lock = threading.Lock()
        self.active = self.peak = 0
        server.route("POST", PATH, self.handle)

    @staticmethod
    def value(metric: str, cluster: str, principal: str, hour: int) -> float:
        base = (int(cluster.split("-")[1]) + 1) * 1000 + int(principal.split("-")[1]) * 10 + hour
        return float(base if metric.endswith("request_bytes") else base * 2)

    def handle(self, req: Recorded) -> Reply:
        with self.lock:
            self.active += 1
            self.peak = max(self.peak, self.active)
        try:
            if self.delay:
                time.sleep(self.delay)
            return self._answer(req)
        finally:
            with self.lock:
                self.active -= 1

    def _answer(self, req: Recorded) -> Reply:
        body = req.json
        canonical = json.dumps(body, sort_keys=True)
        offset = 0
        token = req.param("page_token")
        if token:
            issued_for, offset = self.tokens.get(token, (None, 0))
            if issued_for != canonical:
                return confluent_error(400, "page_token does not match the query", "invalid_page_token")
        flt = body["filter"]
        eqs = flt["filters"] if flt.get("op") == "OR" else [flt]
        clusters = [f["value"] for f in eqs if f["field"] == "resource.kafka.id"]
        if not clusters:
            return confluent_error(400, "a resource filter is required for the cloud dataset")
        metric = body["aggregations"][0]["metric"]
        lo, hi = (dt.datetime.fromisoformat(x.replace("Z", "+00:00")) for x in body["intervals"][0].split("/"))
        hours = int((hi - lo).total_seconds() // 3600)
        groups = [(c, f"sa-{p:05d}") for c in sorted(clusters) for p in range(self.principals)]
        if self.unknown_on in clusters:
            groups.append((self.unknown_on, None))
        limit = body["limit"]
        page = groups[offset:offset + limit]
        data = []
        for cluster, principal in page:
            cidx = int(cluster.split("-")[1])
            if principal and metric.endswith("response_bytes") and self.no_response_every and \
                    int(principal.split("-")[1]) % self.no_response_every == self.no_response_every - 1:
                continue
            for h in reversed(range(hours + (1 if self.extra_outside_window else 0))):
                ts = (lo + dt.timedelta(hours=h)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
                row = {"timestamp": ts, "resource.kafka.id": cluster, "value": self.value(
                    metric, cluster, principal or "sa-99999", h)}
                if principal:
                    row["metric.principal_id"] = principal
                    row["principal_name"] = f"name of {principal}"
                data.append(row)
            assert cidx >= 0
        meta = {"pagination": {"page_size": limit}}
        if offset + limit < len(groups):
            nxt = f"tok-{len(self.tokens)}"
            self.tokens[nxt] = (canonical, offset + limit)
            meta["pagination"]["next_page_token"] = nxt
        return Reply(200, {"data": data, "meta": meta})


def clusters(n: int) -> list[str]:
    return [f"lkc-{i:04d}" for i in range(n)]


@pytest.fixture
def server():
    with FixtureServer() as s:
        yield s


def test_shape_values_and_zero_fill(server):
    FakeTelemetry(server, principals=10, no_response_every=5)
    frame = MetricsClient(http_for(server, "telemetry")).fetch_principal_usage(
        clusters(2), DAY, DAY + dt.timedelta(days=1))
    assert list(frame.columns) == ["hour", "cluster_id", "principal_id", "request_bytes", "response_bytes"]
    assert str(frame["hour"].dtype).startswith("datetime64") and str(frame["hour"].dt.tz) == "UTC"
    assert frame["request_bytes"].dtype == "float64" and frame["response_bytes"].dtype == "float64"
    assert len(frame) == 2 * 10 * 24
    assert frame["hour"].min() == pd.Timestamp(DAY) and frame["hour"].max() == pd.Timestamp(DAY) + pd.Timedelta(
        hours=23)
    row = frame[(frame["cluster_id"] == "lkc-0001") & (frame["principal_id"] == "sa-00003")
                & (frame["hour"] == pd.Timestamp(DAY) + pd.Timedelta(hours=5))].iloc[0]
    assert row["request_bytes"] == 2000 + 30 + 5 and row["response_bytes"] == 2 * (2000 + 30 + 5)
    silent = frame[frame["principal_id"].isin(["sa-00004", "sa-00009"])]
    assert (silent["response_bytes"] == 0).all() and (silent["request_bytes"] > 0).all()
    assert frame.equals(frame.sort_values(["hour", "cluster_id", "principal_id"]).reset_index(drop=True))


def test_batched_or_filter_and_group_by(server):
    FakeTelemetry(server)
    MetricsClient(http_for(server, "telemetry"), clusters_per_query=50).fetch_principal_usage(
        clusters(120), DAY, DAY + dt.timedelta(days=1))
    bodies = [c.json for c in server.calls(PATH) if c.param("page_token") is None]
    assert len(bodies) == 3 * 2  # 3 batches × 2 metrics
    assert {b["aggregations"][0]["metric"] for b in bodies} == {"io.confluent.kafka.server/request_bytes",
                                                               "io.confluent.kafka.server/response_bytes"}
    for b in bodies:
        assert b["group_by"] == ["resource.kafka.id", "metric.principal_id"]
        assert b["granularity"] == "PT1H" and b["limit"] == 1000 and b["format"] == "FLAT"
        assert b["intervals"] == ["2024-05-01T00:00:00Z/2024-05-02T00:00:00Z"]
        assert b["filter"]["op"] == "OR" and all(f["op"] == "EQ" for f in b["filter"]["filters"])
    covered = sorted(f["value"] for b in bodies if b["aggregations"][0]["metric"].endswith("request_bytes")
                     for f in b["filter"]["filters"])
    assert covered == clusters(120)


def test_pages_repost_the_identical_body(server):
    FakeTelemetry(server, principals=30)
    frame = MetricsClient(http_for(server, "telemetry"), limit=25).fetch_principal_usage(
        clusters(3), DAY, DAY + dt.timedelta(hours=6))
    calls = server.calls(PATH)
    tokens = [c for c in calls if c.param("page_token")]
    assert tokens, "the fixture should have paginated"
    first_bodies = {c.json["aggregations"][0]["metric"]: c.body for c in calls if c.param("page_token") is None}
    for c in tokens:
        assert c.body == first_bodies[c.json["aggregations"][0]["metric"]]  # byte-identical
    assert len(frame) == 3 * 30 * 6


def test_a_repeated_page_token_is_a_loop(server):
    server.json("POST", PATH, {"data": [], "meta": {"pagination": {"next_page_token": "again"}}})
    with pytest.raises(ConfluentApiError, match="pagination loop"):
        MetricsClient(http_for(server, "telemetry")).fetch_principal_usage(["lkc-0001"], DAY,
                                                                          DAY + dt.timedelta(hours=1))


def test_missing_principal_is_kept_as_unknown_and_outside_points_dropped(server):
    FakeTelemetry(server, principals=2, unknown_on="lkc-0000", extra_outside_window=True)
    frame = MetricsClient(http_for(server, "telemetry")).fetch_principal_usage(
        clusters(2), DAY, DAY + dt.timedelta(hours=3))
    unknown = frame[frame["principal_id"] == "unknown"]
    assert len(unknown) == 3 and set(unknown["cluster_id"]) == {"lkc-0000"}
    assert (unknown["request_bytes"] > 0).all()
    stats = frame.attrs["stats"]
    assert stats["unknown_principal_points"] == 2 * 3
    assert stats["points_outside_window"] == 2 * (2 * 2 + 1)  # one extra hour per group and metric
    assert len(frame) == 2 * 2 * 3 + 3


def test_rows_in_any_order_with_extra_keys_and_int_values(server):
    server.json("POST", PATH, {"data": [
        {"timestamp": "2024-05-01T01:00:00Z", "metric.principal_id": "u-1", "value": 7, "principal_name": "x",
         "resource.kafka.id": "lkc-0001", "unexpected": {"a": 1}},
        {"timestamp": "2024-05-01T00:00:00.000Z", "metric.principal_id": "u-1", "value": 5.5},
        {"timestamp": "2024-05-01T00:00:00.000Z", "metric.principal_id": "u-1", "value": 5.5},
        {"timestamp": "2024-05-01T02:00:00.000Z", "metric.principal_id": "u-1", "value": "NaN"},
    ]})
    frame = MetricsClient(http_for(server, "telemetry")).fetch_principal_usage(["lkc-0001"], DAY,
                                                                              DAY + dt.timedelta(hours=3))
    assert frame["request_bytes"].tolist() == [5.5, 7.0]
    assert frame["cluster_id"].tolist() == ["lkc-0001", "lkc-0001"]  # single-cluster batch fills the id
    assert frame.attrs["stats"]["duplicate_points"] == 2  # one per metric (the fixture answers both alike)
    assert frame.attrs["stats"]["invalid_values"] == 2


def test_one_day_of_a_large_org_needs_few_requests(server):
    fake = FakeTelemetry(server, principals=40, delay=0.02)
    # each answer is a large page built by a Python fixture server: a read timeout that a loaded machine meets
    client = MetricsClient(http_for(server, "telemetry", read_timeout=30.0), max_workers=4)
    t0 = time.monotonic()
    frame = client.fetch_principal_usage(clusters(200), DAY, DAY + dt.timedelta(days=1))
    elapsed = time.monotonic() - t0
    assert len(frame) == 200 * 40 * 24
    assert frame.attrs["stats"]["requests"] == 16 == len(server.calls(PATH))
    assert frame.attrs["stats"]["queries"] == 8
    assert 2 <= fake.peak <= 4  # concurrent, bounded
    print(f"\n200 clusters × 40 principals × 24 h: {len(frame)} rows, 16 requests, {elapsed:.2f} s")


def test_multi_day_ranges_are_queried_a_day_at_a_time(server):
    FakeTelemetry(server, principals=1)
    frame = MetricsClient(http_for(server, "telemetry")).fetch_principal_usage(
        ["lkc-0001"], DAY, DAY + dt.timedelta(days=3))
    intervals = sorted({c.json["intervals"][0] for c in server.calls(PATH)})
    assert intervals == ["2024-05-01T00:00:00Z/2024-05-02T00:00:00Z", "2024-05-02T00:00:00Z/2024-05-03T00:00:00Z",
                         "2024-05-03T00:00:00Z/2024-05-04T00:00:00Z"]
    assert len(frame) == 72


def test_no_clusters_means_no_requests_and_an_empty_frame(server):
    frame = MetricsClient(http_for(server, "telemetry")).fetch_principal_usage([], DAY, DAY + dt.timedelta(days=1))
    assert frame.empty and list(frame.columns) == ["hour", "cluster_id", "principal_id", "request_bytes",
                                                   "response_bytes"]
    assert server.requests == []


def test_generic_query_for_retained_bytes_by_topic(server):
    def handler(req: Recorded) -> Reply:
        body = req.json
        assert body["aggregations"] == [{"metric": "io.confluent.kafka.server/retained_bytes"}]
        assert body["group_by"] == ["resource.kafka.id", "metric.topic"]
        return Reply(200, {"data": [
            {"timestamp": "2024-05-01T01:00:00.000Z", "resource.kafka.id": "lkc-0001", "metric.topic": "orders",
             "value": 2.5e9},
            {"timestamp": "2024-05-01T00:00:00.000Z", "resource.kafka.id": "lkc-0001", "metric.topic": "orders",
             "value": 2.0e9}]})

    server.route("POST", PATH, handler)
    frame = MetricsClient(http_for(server, "telemetry")).query(
        "retained_bytes", ["lkc-0001"], DAY, DAY + dt.timedelta(hours=2),
        group_by=("resource.kafka.id", "metric.topic"))
    assert list(frame.columns) == ["timestamp", "resource.kafka.id", "metric.topic", "value"]
    assert frame["value"].tolist() == [2.0e9, 2.5e9]
    assert frame["metric.topic"].tolist() == ["orders", "orders"]
