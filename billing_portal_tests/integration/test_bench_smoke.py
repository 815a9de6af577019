"""`billing-portal bench --scale small --days 2` runs end to end and writes every figure (functional, not timed);
three more API days are copies of the measured day: the newest of them with its facts partition (staged, indexed
and swapped in as the writer does), the two older ones rollups only (`--api-fact-days`)."""

import json
import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).parent / "billing-portal"


def test_bench_small_writes_every_figure(tmp_path, pg_server_url, monkeypatch):
    out = tmp_path / "bench.json"
    env = {k: v for k, v in __import__("os").environ.items() if not k.startswith(("CCLOUD_", "BILLING_"))}
    env["DATABASE_URL"] = pg_server_url  # the bench creates (and drops) its own database on this server
    proc = subprocess.run([str(BIN), "bench", "--scale", "small", "--days", "2", "--api-days", "6",
                           "--api-fact-days", "4", "--api-requests", "3", "--json", str(out)], env=env, cwd=tmp_path, capture_output=True,
                          text=True, timeout=900, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    res = json.loads(out.read_text())
    assert res["copy_rows_per_s"] > 0
    day = res["day"]
    assert day["fact_rows"] > 1000 and day["fact_rows"] == res["copy"]["rows"]
    assert day["ratio_to_copy"] > 0 and day["peak_rss_bytes"] > 0
    assert set(day["stages_s"]) >= {"collect_s", "allocate_s", "write_s"}
    assert res["backfill"]["days"] == 2 and res["backfill"]["s_per_day"] > 0 and res["backfill"]["fact_rows"] > 0
    assert res["backfill"]["new_observations"] == 0, "a backfill of past days reuses the observed objects and catalog"
    # the backfill's usage came from the store (captured beforehand as the daily schedule would have)
    assert "not captured" not in res["backfill"]["usage_capture_sources"], res["backfill"]["usage_capture_sources"]
    assert res["backfill"]["copy_floor_365_days_min"] > 0
    topic = day["topic_view"]
    assert topic["fact_rows"] > 0 and topic["seconds"] > 0 and set(topic["timings_s"]) >= {"read_s", "allocate_s",
                                                                                        "write_s"}
    assert topic["both_views_processing_ratio_to_copy"] > 0
    dataset = res["api_dataset"]
    assert (dataset["days"], dataset["materialized_days"], dataset["copied_days"], dataset["fact_days"]) == (6, 3, 3, 4)
    assert "newest 4 days" in dataset["note"]
    assert res["api"]["costs_page_team_filter"]["params"]["from_ts"] == dataset["facts_from"] + "T00:00:00Z"
    for name in ("summary_by_business_unit", "summary_by_principal", "topics_summary_by_team",
                 "costs_page_team_filter", "metrics"):
        assert res["api"][name]["requests"] == 3 and res["api"][name]["p95_s"] >= res["api"][name]["p50_s"] > 0
    for label in ("COPY limit", "ratio_to_copy", "backfill 2 days", "summary_by_principal", "metrics",
                  "topic view (hourly_topic_facts)", "both views", "facts partitions on the newest 4 days"):
        assert label in proc.stdout
