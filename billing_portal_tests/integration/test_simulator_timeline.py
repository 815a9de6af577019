"""The simulator behaves like a live org over time: metrics kept 7 days, bills 72 h late, objects that are created,
deleted and renamed on given days and only ever shown as they are now, and a clock tests can move."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import requests

from billing_portal.simulator import build_model, start_simulator
from billing_portal.simulator.testing import CLOUD_AUTH, MovableClock, walk_list
from billing_portal.simulator.timeline import CHURN_LIFE_DAYS, midnight

MODEL = build_model(42, "small")
NOW = datetime(2026, 10, 20, 6, 0, tzinfo=UTC)


def query(sim, cluster: str, day: date) -> list[dict]:
    body = {"aggregations": [{"metric": "io.confluent.kafka.server/request_bytes"}],
            "filter": {"field": "resource.kafka.id", "op": "EQ", "value": cluster},
            "group_by": ["metric.principal_id"], "granularity": "PT1H",
            "intervals": [f"{day.isoformat()}T00:00:00Z/P1D"], "limit": 1000}
    r = requests.post(sim.url + "/v2/metrics/cloud/query", json=body, auth=CLOUD_AUTH, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()["data"]


def listed(sim, path: str) -> dict[str, dict]:
    return {o["id"]: o for page in walk_list(requests.Session(), sim.url + path, {"page_size": 99})
            for o in page["data"]}


def test_live_defaults_metrics_kept_seven_days_and_bills_72_hours_late():
    clock = MovableClock(NOW)
    busy = next(c for c in MODEL.kafka_clusters if not c.idle)
    with start_simulator(clock=clock, model=MODEL) as sim:
        health = requests.get(sim.url + "/_simulator/health", timeout=10).json()
        assert health["metrics_retention_days"] == 7 and health["billing_lag_hours"] == 72
        recent, old = NOW.date() - timedelta(days=2), NOW.date() - timedelta(days=9)
        assert query(sim, busy.id, recent), "a day inside the retention has points"
        assert query(sim, busy.id, old) == [], "a day older than 7 days answers no points, as live"
        # a day's bill appears 72 h after the day ends
        day = NOW.date() - timedelta(days=3)
        params = {"start_date": day.isoformat(), "end_date": (day + timedelta(days=1)).isoformat()}
        costs = sim.url + "/billing/v1/costs"
        assert requests.get(costs, params=params, auth=CLOUD_AUTH, timeout=30).json()["data"] == []
        clock.set(midnight(day) + timedelta(days=1, hours=72))
        assert requests.get(costs, params=params, auth=CLOUD_AUTH, timeout=30).json()["data"]
        # ten days later the same day has no metrics any more
        clock.advance(timedelta(days=10))
        assert query(sim, busy.id, recent) == []


def test_churn_account_key_and_connector_exist_only_while_alive():
    churn = next(c for c in MODEL.timeline.churn
                 if c.connector is not None and c.lifetime.created_at > NOW - timedelta(days=60))
    sa, key, life = churn.account, churn.key, churn.lifetime
    cluster = MODEL.kafka_clusters[churn.cluster_index]
    clock = MovableClock(life.created_at - timedelta(hours=1))
    with start_simulator(clock=clock, model=MODEL) as sim:
        assert sa.id not in listed(sim, "/iam/v2/service-accounts")
        clock.set(life.created_at)
        accounts = listed(sim, "/iam/v2/service-accounts")
        assert accounts[sa.id]["description"] == sa.description
        assert key.id in listed(sim, "/iam/v2/api-keys")
        conns_url = f"{sim.url}/connect/v1/environments/{cluster.env_id}/clusters/{cluster.id}/connectors"
        assert churn.connector.name not in requests.get(conns_url, auth=CLOUD_AUTH, timeout=30).json()
        clock.set(churn.connector_lifetime.created_at + timedelta(hours=1))
        assert churn.connector.name in requests.get(conns_url, auth=CLOUD_AUTH, timeout=30).json()
        clock.set(life.deleted_at)
        assert sa.id not in listed(sim, "/iam/v2/service-accounts")
        assert key.id not in listed(sim, "/iam/v2/api-keys")
        assert churn.connector.name not in requests.get(conns_url, auth=CLOUD_AUTH, timeout=30).json()
    # traffic only while alive; the bill's network lines include it, the connector is billed while it lives
    pair = MODEL.static_profile.n_pairs + list(MODEL.timeline.churn).index(churn)
    first_full = life.created_at.date() + timedelta(days=1)
    assert MODEL.usage(first_full).request_bytes[pair].sum() + MODEL.usage(first_full).response_bytes[pair].sum() > 0
    assert MODEL.usage(life.created_at.date() - timedelta(days=1)).request_bytes[pair].sum() == 0
    assert MODEL.usage(life.deleted_at.date() + timedelta(days=1)).response_bytes[pair].sum() == 0
    billed = {d: {ln.line_type for ln in MODEL.bill(d).lines if ln.resource_id == churn.connector.id}
              for d in (churn.connector_lifetime.created_at.date() + timedelta(days=1),
                        life.deleted_at.date() + timedelta(days=1))}
    assert list(billed.values()) == [{"CONNECT_CAPACITY", "CONNECT_NUM_TASKS", "CONNECT_THROUGHPUT"}, set()]
    assert (life.deleted_at.date() - life.created_at.date()).days == CHURN_LIFE_DAYS


def test_owner_renamed_on_its_day_and_only_the_present_is_listed():
    rename = MODEL.timeline.renames[0]
    day = rename.rename_days(NOW.date() - timedelta(days=30), NOW.date())[-1]
    before, after = rename.owner_on(day - timedelta(days=1)), rename.owner_on(day)
    assert before != after
    clock = MovableClock(midnight(day) - timedelta(minutes=1))
    with start_simulator(clock=clock, model=MODEL) as sim:
        assert listed(sim, "/iam/v2/service-accounts")[rename.account_id]["description"] == f"Owner: {before}"
        clock.set(midnight(day))
        obj = listed(sim, "/iam/v2/service-accounts")[rename.account_id]
        assert obj["description"] == f"Owner: {after}"
        assert obj["metadata"]["updated_at"].startswith(day.isoformat())


def test_clock_is_moved_over_http_and_the_wall_clock_refuses():
    with start_simulator(clock=MovableClock(NOW), model=MODEL) as sim:
        url = sim.url + "/_simulator/clock"
        assert requests.get(url, timeout=10).json() == {"now": "2026-10-20T06:00:00Z", "movable": True,
                                                        "frozen": True}
        r = requests.put(url, json={"advance_seconds": 3600}, timeout=10)
        assert r.status_code == 200 and r.json()["now"] == "2026-10-20T07:00:00Z"
        assert requests.put(url, json={"now": "2026-10-25T00:00:00Z"}, timeout=10).json()["now"] == \
            "2026-10-25T00:00:00Z"
        assert requests.put(url, json={"now": "yesterday"}, timeout=10).status_code == 400
        wall = requests.put(url, json={"wall": True}, timeout=10).json()
        assert not wall["frozen"] and wall["now"] > "2026-11"
    with start_simulator(model=MODEL) as sim:
        assert requests.put(sim.url + "/_simulator/clock", json={"advance_seconds": 1}, timeout=10).status_code == 409


def test_churn_does_not_change_the_static_org():
    """Churn pairs draw from their own streams: the static pairs' bytes and every static bill line are what they
    would be without the timeline."""
    from billing_portal.simulator.model import S_DAY_USAGE, stream
    from billing_portal.simulator.usage import generate_day_usage

    day = date(2026, 9, 3)
    alone = generate_day_usage(MODEL.static_profile, MODEL.topic_profile, len(MODEL.kafka_clusters), day,
                               stream(MODEL.seed, MODEL.scale, S_DAY_USAGE, day.toordinal()))
    n = MODEL.static_profile.n_pairs
    assert np.array_equal(MODEL.usage(day).request_bytes[:n], alone.request_bytes)
    assert np.array_equal(MODEL.usage(day).topic_retained, alone.topic_retained)
