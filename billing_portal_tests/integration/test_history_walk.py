"""A 40-day walk against a simulator that behaves like a live org (metrics kept 7 days, bills 72 h late, accounts,
keys and connectors created and deleted, owners renamed on given days): each simulated day the usage capture, daily
and restatement schedules' run requests are executed as the Dagster daemon would, with real Dagster runs on a real
PostgreSQL. History must hold: every day's allocation equals what it was when first computed; a deleted account
keeps its past costs; an owner change applies from its day on; a restated bill is re-allocated with the usage
captured before it expired; re-running any past day changes nothing and collects nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import psycopg
import pytest
from dagster import DagsterInstance

from billing_portal.ownership.names import normalize_owner
from billing_portal.simulator import build_model, start_simulator
from billing_portal.simulator.testing import MovableClock
from billing_portal_tests.factories import module_database
from billing_portal_tests.walk import Deployment

FIRST = dt.date(2026, 9, 20)
DAYS = 40
LAST = FIRST + dt.timedelta(days=DAYS - 1)
MODEL = build_model(42, "small")
NETWORK = ("KAFKA_NETWORK_WRITE", "KAFKA_NETWORK_READ")

SNAPSHOT = ("SELECT usage_date, principal_id, line_type, confidence, allocation_reason, owner, sum(amount_usd) AS a"
            " FROM hourly_cost_facts WHERE usage_date = ANY(%s) GROUP BY 1, 2, 3, 4, 5, 6")


def midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)


def snapshot(url: str, days) -> dict[dt.date, dict[tuple, Decimal]]:
    out: dict[dt.date, dict[tuple, Decimal]] = {}
    with psycopg.connect(url) as conn:
        for d, *key, a in conn.execute(SNAPSHOT, (list(days),)).fetchall():
            out.setdefault(d, {})[tuple(key)] = a
    return out


def network_days(snap: dict[dt.date, dict[tuple, Decimal]]) -> set[dt.date]:
    return {d for d, rows in snap.items() if any(k[1] in NETWORK for k in rows)}


def churn_in_walk():
    """A churn account that lives (and is deleted) well inside the walk."""
    return next(c for c in MODEL.timeline.churn
                if c.lifetime.created_at.date() >= FIRST + dt.timedelta(days=3)
                and c.lifetime.deleted_at.date() <= LAST - dt.timedelta(days=12))


def rename_in_walk():
    for r in MODEL.timeline.renames:
        days = r.rename_days(FIRST + dt.timedelta(days=5), LAST - dt.timedelta(days=5))
        if days:
            return r, days[0]
    raise AssertionError("no owner rename inside the walk")


RESTATED = FIRST + dt.timedelta(days=22)


@pytest.fixture(scope="module")
def walk(pg_server_url, _template_db):
    gen = module_database(pg_server_url, _template_db)
    url = next(gen)
    clock = MovableClock(midnight(FIRST))
    sim = start_simulator(clock=clock, model=MODEL)
    first_seen: dict[dt.date, dict[tuple, Decimal]] = {}
    try:
        with DagsterInstance.ephemeral() as instance:
            dep = Deployment(sim, clock, url, instance)
            for i in range(DAYS):
                day = FIRST + dt.timedelta(days=i)
                if day == RESTATED + dt.timedelta(days=5):
                    # Confluent restates a bill five days later; the restatement window re-reads it
                    sim.faults.add(f"restate:day={RESTATED.isoformat()}")
                dep.daemon_day(day)
                snap = snapshot(url, [d for d in network_days_pending(first_seen, day)])
                for d in network_days(snap):
                    first_seen.setdefault(d, snap[d])
            yield {"url": url, "dep": dep, "first": first_seen, "sim": sim}
    finally:
        sim.stop()
        gen.close()


def network_days_pending(first_seen, today: dt.date) -> list[dt.date]:
    return [FIRST + dt.timedelta(days=i) for i in range((today - FIRST).days + 1)
            if FIRST + dt.timedelta(days=i) not in first_seen]


def test_every_day_keeps_the_allocation_it_first_had(walk):
    first = walk["first"]
    # every walked day whose bill was published got its usage-based allocation (by bytes, high)
    published = [d for d in first if d <= LAST - dt.timedelta(days=4)]
    assert len(published) >= DAYS - 5, sorted(first)  # the last days' bills are not published yet (72 h)
    final = snapshot(walk["url"], list(first))
    for day, rows in first.items():
        assert any(k[1] in NETWORK and k[2] == "high" and k[3] == "network_bytes_share" for k in rows), day
        if day == RESTATED:
            continue
        assert final[day] == rows, f"{day} changed after it was first allocated"


def test_a_restated_bill_is_reallocated_with_the_usage_captured_before_it_expired(walk):
    first, final = walk["first"][RESTATED], snapshot(walk["url"], [RESTATED])[RESTATED]
    assert sum(final.values()) != sum(first.values()), "the restated bill was re-read"
    # its network lines (tied to the metrics) land exactly where they did, by the stored bytes
    net = {k: v for k, v in final.items() if k[1] in NETWORK}
    assert net == {k: v for k, v in first.items() if k[1] in NETWORK}
    assert {k[3] for k in net} == {"network_bytes_share"}
    # from the usage captured the night after the day (the restatement window re-allocated it up to 8 days later,
    # when the Metrics API no longer had it)
    with psycopg.connect(walk["url"]) as conn:
        (captured,) = conn.execute("SELECT max(captured_at) FROM usage_capture WHERE usage_date = %s",
                                   (RESTATED,)).fetchone()
    restatement_runs = [at for at, job, tags in walk["dep"].runs if job == "restatement_job"
                        and tags.get("dagster/asset_partition_range_start", "9") <= RESTATED.isoformat()
                        <= tags.get("dagster/asset_partition_range_end", "0")]
    assert max(restatement_runs) >= midnight(RESTATED + dt.timedelta(days=8)).isoformat()
    assert captured <= midnight(RESTATED + dt.timedelta(days=1)) + dt.timedelta(hours=1)


def test_a_deleted_account_keeps_its_past_costs(walk):
    churn = churn_in_walk()
    sa = churn.account
    alive = [d for d in (FIRST + dt.timedelta(days=i) for i in range(DAYS))
             if churn.lifetime.created_at < midnight(d) and midnight(d + dt.timedelta(days=1)) <= churn.lifetime.deleted_at]
    assert len(alive) >= 5
    with psycopg.connect(walk["url"]) as conn:
        rows = conn.execute("SELECT usage_date, owner, sum(amount_usd) FROM hourly_cost_facts"
                            " WHERE principal_id = %s GROUP BY 1, 2 ORDER BY 1", (sa.id,)).fetchall()
        versions = conn.execute("SELECT valid_to FROM service_accounts_history WHERE principal_id = %s",
                                (sa.id,)).fetchall()
    by_day = {d: (o, a) for d, o, a in rows}
    assert set(alive) <= set(by_day), "it was charged every day it lived"
    assert all(by_day[d][0] == normalize_owner(sa.owner_email) and by_day[d][1] > 0 for d in alive)
    assert versions and versions[0][0] is not None, "history says when it stopped being seen"
    assert churn.lifetime.deleted_at.date() < LAST - dt.timedelta(days=10), "and days after its deletion were re-run"


def test_an_owner_change_applies_from_its_day_on(walk):
    rename, day = rename_in_walk()
    with psycopg.connect(walk["url"]) as conn:
        rows = conn.execute("SELECT usage_date, array_agg(DISTINCT owner) FROM hourly_cost_facts"
                            " WHERE principal_id = %s GROUP BY 1 ORDER BY 1", (rename.account_id,)).fetchall()
    owners = {d: o for d, o in rows}
    before = [d for d in owners if day - dt.timedelta(days=5) <= d < day]
    after = [d for d in owners if day <= d < day + dt.timedelta(days=5)]
    assert before and after, owners
    for d in before + after:
        assert owners[d] == [normalize_owner(rename.owner_on(d))], (d, owners[d])
    assert owners[before[-1]] != owners[after[0]]


def test_rerunning_past_days_changes_nothing_and_collects_nothing(walk):
    dep, url = walk["dep"], walk["url"]
    days = [FIRST + dt.timedelta(days=i) for i in range(DAYS)]
    before = snapshot(url, days)
    with psycopg.connect(url) as conn:
        history = conn.execute("SELECT count(*), max(observed_last) FROM service_accounts_history").fetchone()
        captures = conn.execute("SELECT usage_date, cluster_id, captured_at FROM usage_capture ORDER BY 1, 2"
                                ).fetchall()
    walk["sim"].clear_requests()
    # a day later, the whole walk re-run as one backfill of past days (most of it outside the retention)
    dep.at(midnight(LAST + dt.timedelta(days=2)) + dt.timedelta(hours=12))
    dep.run("chargeback_job", first=FIRST, last=LAST - dt.timedelta(days=1))
    after = snapshot(url, days)
    assert {d: after[d] for d in before} == before
    # a bill published since (72 h after its day) is allocated from the usage captured back then
    for d in set(after) - set(before):
        assert {k[3] for k in after[d] if k[1] in NETWORK} == {"network_bytes_share"}, d
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT count(*), max(observed_last) FROM service_accounts_history").fetchone() == history
        assert conn.execute("SELECT usage_date, cluster_id, captured_at FROM usage_capture ORDER BY 1, 2"
                            ).fetchall() == captures
    paths = {p for _, p, _ in walk["sim"].requests}
    assert not [p for p in paths if p.startswith(("/iam/", "/cmk/", "/org/", "/connect/", "/catalog/"))], paths
    assert not [p for p in paths if p.startswith("/v2/metrics/")], "usage outside the retention is never queried"


def test_a_first_install_after_expiry_says_why_old_days_fall_back(pg_server_url, _template_db):
    gen = module_database(pg_server_url, _template_db)
    url = next(gen)
    now = midnight(LAST + dt.timedelta(days=1)) + dt.timedelta(hours=7)
    clock = MovableClock(now)
    sim = start_simulator(clock=clock, model=MODEL)
    try:
        with DagsterInstance.ephemeral() as instance:
            dep = Deployment(sim, clock, url, instance)
            last_billed = LAST - dt.timedelta(days=3)
            dep.run("chargeback_job", first=LAST - dt.timedelta(days=14), last=last_billed)
        with psycopg.connect(url) as conn:
            rows = conn.execute(
                "SELECT usage_date, allocation_reason, confidence, sum(amount_usd) FROM hourly_cost_facts"
                " WHERE line_type = ANY(%s) GROUP BY 1, 2, 3", (list(NETWORK),)).fetchall()
            expired_kpi = dict(conn.execute("SELECT usage_date, usage_expired_usd FROM cost_confidence_daily"
                                            " WHERE scope_type = 'total'").fetchall())
            flagged = dict(conn.execute("SELECT snapshot_date, bool_and(before_first_observation)"
                                        " FROM service_accounts GROUP BY 1").fetchall())
    finally:
        sim.stop()
        gen.close()
    reasons: dict[dt.date, set[str]] = {}
    for d, reason, conf, _ in rows:
        reasons.setdefault(d, set()).add(reason)
        if reason == "usage_expired_before_capture":
            assert conf != "high"
    retention_start = (now - dt.timedelta(days=7)).date()
    old = [d for d in reasons if d < retention_start]
    recent = [d for d in reasons if d > retention_start]
    assert old and recent
    for d in old:
        assert reasons[d] == {"usage_expired_before_capture"}, (d, reasons[d])
        assert expired_kpi[d] > 0 and flagged[d], d
    for d in recent:
        assert reasons[d] == {"network_bytes_share"}, (d, reasons[d])
        assert expired_kpi[d] == 0
