"""/metrics: the publication ledger (late hours, restatements, moved cost), gauges, OpenMetrics parsing and
`promtool check metrics` on a real scrape."""

from __future__ import annotations

import datetime as dt
import subprocess
from collections import defaultdict
from decimal import Decimal

import psycopg
import pytest
import requests
from prometheus_client.openmetrics.parser import text_string_to_metric_families

from billing_portal_tests.factories import (
    SA1,
    Line,
    LiveServer,
    Payer,
    default_lines,
    require_binary,
    sidecar_app,
    write_day,
)

TODAY = dt.datetime.now(dt.UTC).date()
D1, D2 = TODAY - dt.timedelta(days=4), TODAY - dt.timedelta(days=3)


def scrape(srv, accept: str | None = None) -> str:
    headers = {"Accept": accept} if accept else {}
    r = requests.get(srv.url + "/metrics", headers=headers, timeout=30)
    assert r.status_code == 200, r.text
    return r


def hourly_sums(text: str) -> dict[float, dict[tuple, float]]:
    """{timestamp: {(cluster, team): summed value}} of ccloud_cost_usd_hourly in an OpenMetrics scrape."""
    out: dict[float, dict[tuple, float]] = defaultdict(lambda: defaultdict(float))
    for family in text_string_to_metric_families(text):
        if family.name == "ccloud_cost_usd_hourly":
            for s in family.samples:
                out[float(s.timestamp)][(s.labels["cluster"], s.labels["team"])] += s.value
    return out


def ledger_rows(url: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT hour, cluster, team, revision, amount_usd, org_id, env_id, product, business_unit,"
                            " cost_center FROM sidecar_metric_ledger ORDER BY 1, 2, 3, 6, 7, 8, 9, 10, 4").fetchall()


def test_hours_at_their_timestamp_and_restatements_as_corrections(database_url):
    day1 = write_day(database_url, D1)
    with LiveServer(sidecar_app(database_url)) as srv:
        r = scrape(srv)
        assert r.headers["Content-Type"].startswith("application/openmetrics-text")
        sums = hourly_sums(r.text)
        h0 = dt.datetime.combine(D1, dt.time(), tzinfo=dt.UTC)
        assert sorted(sums) == [(h0 + dt.timedelta(hours=i)).timestamp() for i in range(24)]
        for hour, amount in day1.hourly.items():
            assert sum(sums[hour.timestamp()].values()) == pytest.approx(float(amount), abs=1e-9)
        first = ledger_rows(database_url)
        assert {row[3] for row in first} == {0}

        # A second scrape publishes nothing new; the same samples stay exposed.
        assert hourly_sums(scrape(srv).text) == sums
        assert ledger_rows(database_url) == first

        # Day 1 is restated (x3) and a later day arrives: corrections at the same hours, never a new value for
        # an existing (series, timestamp).
        day1b = write_day(database_url, D1, scale=3)
        day2 = write_day(database_url, D2)
        text = scrape(srv).text
        rows = ledger_rows(database_url)
        assert {row[3] for row in rows if row[0].date() == D1} == {0, 1}
        keys = [row[:4] + row[5:] for row in rows]
        assert len(keys) == len(set(keys))
        sums = hourly_sums(text)
        for day in (day1b, day2):
            for hour, amount in day.hourly.items():
                assert sum(sums[hour.timestamp()].values()) == pytest.approx(float(amount), abs=1e-9)
        assert 'revision="1"' in text


def test_cost_moved_to_another_team_gets_a_negative_correction(database_url):
    payer = dict(SA1, team="payments")
    line = Line("KAFKA", "KAFKA_NUM_CKUS", Decimal("24.00000000"), (Payer(**payer, weight=1),),
                resource_id="lkc-aaa", env_id="env-1", cluster_id="lkc-aaa")
    write_day(database_url, D1, [line])
    with LiveServer(sidecar_app(database_url)) as srv:
        scrape(srv)
        moved = Line(**{**line.__dict__, "payers": (Payer(**dict(payer, team="risk"), weight=1),)})
        write_day(database_url, D1, [moved])
        sums = hourly_sums(scrape(srv).text)
    h = dt.datetime.combine(D1, dt.time(), tzinfo=dt.UTC).timestamp()
    assert sums[h][("lkc-aaa", "payments")] == pytest.approx(0.0, abs=1e-12)
    assert sums[h][("lkc-aaa", "risk")] == pytest.approx(1.0)


def test_gauges_and_exposure_window(database_url):
    write_day(database_url, TODAY - dt.timedelta(days=2))
    newest = TODAY - dt.timedelta(days=1)
    write_day(database_url, newest, default_lines())
    with LiveServer(sidecar_app(database_url, BILLING_PORTAL_METRICS_EXPOSURE_HOURS="2")) as srv:
        families = {f.name: f for f in text_string_to_metric_families(scrape(srv).text)}
        last_hour = dt.datetime.combine(newest, dt.time(23), tzinfo=dt.UTC)
        assert families["ccloud_cost_newest_complete_hour_timestamp_seconds"].samples[0].value == last_hour.timestamp()
        lag = families["ccloud_cost_data_lag_seconds"].samples[0].value
        assert 0 <= lag < 24 * 3600
        buckets = {s.labels["bucket"]: s.value for s in families["ccloud_cost_allocation_coverage_ratio"].samples}
        assert set(buckets) == {"by_usage", "by_ownership", "by_fallback", "unallocated"}
        assert sum(buckets.values()) == pytest.approx(1.0)
        assert 0 < families["ccloud_cost_unallocated_share_ratio"].samples[0].value < 1
        mtd = {s.labels["business_unit"] for s in families["ccloud_cost_month_to_date_usd"].samples}
        if newest.month == TODAY.month:
            assert {"commerce", "platform"} <= mtd
        # Samples published longer ago than the exposure window are no longer exposed (Prometheus has them).
        with psycopg.connect(srv.app.extensions["warehouse_pool"].conninfo) as conn:
            conn.execute("UPDATE sidecar_metric_ledger SET published_at = now() - interval '3 hours'")
        assert "ccloud_cost_usd_hourly{" not in scrape(srv).text


def test_promtool_check_metrics_passes_on_a_scrape(database_url):
    promtool = require_binary("promtool")
    write_day(database_url, D1)
    with LiveServer(sidecar_app(database_url)) as srv:
        text = scrape(srv, accept="text/plain;version=0.0.4").text  # promtool reads the Prometheus text format
        openmetrics = scrape(srv).text
    assert text.count("ccloud_cost_usd_hourly{") == openmetrics.count("ccloud_cost_usd_hourly{") > 0
    result = subprocess.run([promtool, "check", "metrics"], input=text.encode(), capture_output=True, timeout=60)
    assert result.returncode == 0, result.stdout.decode() + result.stderr.decode()
    assert openmetrics.rstrip().endswith("# EOF")


def test_large_backlogs_are_exposed_in_rotating_slices(database_url):
    from psycopg.rows import dict_row

    from billing_portal.defs.metrics.ledger import sync
    from billing_portal.sidecar import ledger
    from billing_portal.sidecar.query import newest_complete_day

    write_day(database_url, D1, publish=False)
    write_day(database_url, D2, publish=False)
    with psycopg.connect(database_url, row_factory=dict_row, autocommit=True) as conn:
        newest, _ = newest_complete_day(conn)
        published = sum(sync(conn, newest, 8).values())
        assert published == conn.execute("SELECT count(*) AS n FROM sidecar_metric_ledger").fetchone()["n"] > 100
        assert sync(conn, newest, 8) == {}  # nothing changed
        seen, t0 = [], dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
        slices = ledger.slices(conn, 24, 100)
        # one publication per day: ⌈published / 100⌉ slices of seq, one more per publication at most
        assert -(-published // 100) <= len(slices) <= -(-published // 100) + 2
        for minute in range(len(slices)):
            part = ledger.exposed(conn, 24, 100, t0 + dt.timedelta(minutes=minute))
            assert 0 < len(part) <= 100
            seen.extend((r["hour"], r["org_id"], r["env_id"], r["cluster"], r["product"], r["business_unit"],
                         r["team"], r["cost_center"], r["revision"]) for r in part)
        assert len(seen) == len(set(seen)) == published  # every sample in exactly one slice of the cycle
        assert ledger.exposed(conn, 24, 100, t0 + dt.timedelta(minutes=len(slices))) == \
            ledger.exposed(conn, 24, 100, t0)  # the rotation starts again


def test_the_exposition_is_prometheus_clients_byte_for_byte(database_url):
    """`render` writes the hourly samples itself: exactly what prometheus_client's encoders write for them
    (`render_reference`), in both formats, awkward label values and amounts included."""
    from billing_portal.defs.metrics.ledger import record_batch
    from billing_portal.sidecar import exporter
    from billing_portal.sidecar.db import make_pool

    write_day(database_url, D1)
    odd = ['a"b', "back\\slash", "new\nline", "ünï€ødé 🚀", "", "x=y,z", "{}"]
    amounts = ["0.00000001", "-12.50000000", "1234567.12345678", "0.00000000", "99999999.99999999", "-0.10000000"]
    with psycopg.connect(database_url, autocommit=True) as conn, conn.transaction():
        for i, (label, amount) in enumerate(zip(odd * 2, amounts * 2, strict=False)):
            conn.execute("INSERT INTO sidecar_metric_ledger (hour, org_id, env_id, cluster, product, business_unit,"
                         " team, cost_center, revision, amount_usd) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                         (dt.datetime.combine(D1, dt.time(i % 24), tzinfo=dt.UTC), label, "env", label[::-1],
                          "KAFKA", label, "t" + label, "cc", i % 3, amount))
        record_batch(conn)
    pool = make_pool(database_url)
    try:
        for max_samples in (10_000, 7):
            for minute in range(3):
                now = dt.datetime(2030, 1, 1, tzinfo=dt.UTC) + dt.timedelta(minutes=minute)
                collector = exporter.CostCollector(pool, exposure_hours=24, cache=exporter.GaugeCache(),
                                                   max_samples=max_samples, now=lambda now=now: now)
                for accept in (None, "text/plain;version=0.0.4", "text/html", "application/openmetrics-text"):
                    body, kind = exporter.render(collector, accept)
                    assert (body, kind) == exporter.render_reference(collector, accept), (accept, max_samples)
                    assert body.count(b"ccloud_cost_usd_hourly{") > 0
    finally:
        pool.close()


def test_a_day_without_facts_in_the_window_is_compared_once(database_url):
    """A gap in the restatement window (no facts, no materialization record) is compared once, not on every scrape;
    when the day is materialized later it is compared again."""
    from psycopg.rows import dict_row

    from billing_portal.defs.metrics import ledger

    newest = dt.date(2026, 3, 10)
    with psycopg.connect(database_url, row_factory=dict_row, autocommit=True) as conn:
        assert sorted(ledger.stale_days(conn, newest, 3)) == [newest - dt.timedelta(days=i) for i in (2, 1, 0)]
        assert set(ledger.sync(conn, newest, 3).values()) == {0}
        assert ledger.stale_days(conn, newest, 3) == {}
        conn.execute("INSERT INTO partition_status (asset_name, usage_date, row_count, amount_usd, run_id,"
                     " materialized_at, details) VALUES ('hourly_cost_facts', %s, 0, 0, 'r', now(), '{}')", (newest,))
        assert list(ledger.stale_days(conn, newest, 3)) == [newest]
