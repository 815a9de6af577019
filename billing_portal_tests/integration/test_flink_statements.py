"""Flink by statement owner through the real pipeline against a live-flavoured simulator: the regional statements API
(its own host path and region-scoped Flink key), the statement CFU metrics captured while the Metrics API has them,
the statements observed and kept as history, and each pool's FLINK_NUM_CFUS line split over the principals running
its statements by their CFUs, hour by hour, to the cent. A statement deleted after it was observed keeps its owner;
one never observed pays through the pool's owner (statement_owner_unknown); a pool without statements is allocated
as before; a region without a Flink key is skipped and reported."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import psycopg
import pytest
import yaml

from billing_portal.simulator import build_model, start_simulator
from billing_portal.simulator.testing import MovableClock
from billing_portal_tests.factories import module_database
from billing_portal_tests.pipeline import materialize, newest_billed_day, simulator_env

MODEL = build_model(42, "small")
WORKLOAD = MODEL.flink
RUNNING_POOL = next(p for p in MODEL.flink_pools if p.id in WORKLOAD.pools_with_statements)
IDLE_POOL = next(p for p in MODEL.flink_pools if p.id not in WORKLOAD.pools_with_statements)


def _observed_at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(6, 0), tzinfo=dt.UTC)


def _billed_at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day + dt.timedelta(days=4), dt.time(2, 0), tzinfo=dt.UTC)


def _pick_day() -> dt.date:
    """A billed day with a statement that ran that day, was listed when the day was observed and was deleted before
    the bill was published (so only the history knows who ran it), and with a statement never listed at all."""
    day = newest_billed_day()
    for _ in range(60):
        cfus = WORKLOAD.cfus(day).sum(axis=1)
        ran = [s for i, s in enumerate(WORKLOAD.statements) if cfus[i] > 0]
        seen = [s for s in ran if s.listed(_observed_at(day))]
        if any(not s.listed(_billed_at(day)) for s in seen) and len(seen) < len(ran):
            return day
        day -= dt.timedelta(days=1)
    raise AssertionError("no suitable day in the simulator's timeline")


DAY = _pick_day()


@pytest.fixture(scope="module")
def warehouse(pg_server_url, _template_db, tmp_path_factory):
    gen = module_database(pg_server_url, _template_db)
    url = next(gen)
    home = tmp_path_factory.mktemp("flink")
    clock = MovableClock(_observed_at(DAY))
    with start_simulator(clock=clock, model=MODEL) as sim:
        env = simulator_env(sim.url, url, home, BILLING_START_DATE=(DAY - dt.timedelta(days=30)).isoformat())
        # the night after the day: objects and statements observed, usage captured (the bill is not out yet)
        first = materialize({**env, "BILLING_PORTAL_NOW": _observed_at(DAY).isoformat()}, DAY,
                            DAY + dt.timedelta(days=1)).stdout
        # 72 h later the bill is published; the day is re-allocated from the stored usage and history
        clock.set(_billed_at(DAY))
        second = materialize({**env, "BILLING_PORTAL_NOW": _billed_at(DAY).isoformat()}, DAY,
                             DAY + dt.timedelta(days=1), job="restatement").stdout
        keys = yaml.safe_load(open(env["FLINK_CREDENTIALS_FILE"]).read())
    yield url, first + second, keys
    gen.close()


def q(url, sql, params=()):
    with psycopg.connect(url) as conn:
        return conn.execute(sql, params).fetchall()


def test_the_pools_line_is_split_over_the_principals_of_its_statements_by_cfus(warehouse):
    url, _, _ = warehouse
    cfus = WORKLOAD.cfus(DAY)
    listed = {s.name for s in WORKLOAD.statements if s.listed(_observed_at(DAY))}
    (line_total,) = q(url, "SELECT sum(amount) FROM billing_costs WHERE resource_id = %s", (RUNNING_POOL.id,))[0]
    assert line_total and line_total > 0
    total = int(cfus[[i for i, s in enumerate(WORKLOAD.statements) if s.compute_pool_id == RUNNING_POOL.id]].sum())
    expected: dict[tuple[str, int], Decimal] = {}
    for i, s in enumerate(WORKLOAD.statements):
        if s.compute_pool_id != RUNNING_POOL.id or s.name not in listed:
            continue
        for h in range(24):
            if cfus[i, h]:
                key = (s.principal_id, h)
                expected[key] = expected.get(key, Decimal(0)) + line_total * Decimal(int(cfus[i, h])) / total
    got = {(p, h): a for p, h, a in q(url, "SELECT principal_id, extract(hour FROM hour)::int, sum(amount_usd)"
                                          " FROM hourly_cost_facts WHERE resource_id = %s AND allocation_reason ="
                                          " 'statement_cfu_share' GROUP BY 1, 2", (RUNNING_POOL.id,))}
    assert expected and set(got) == set(expected)
    for k, v in expected.items():
        assert abs(got[k] - v) <= Decimal("0.00000003"), k
    rows = q(url, "SELECT DISTINCT allocation_method, confidence FROM hourly_cost_facts WHERE resource_id = %s"
                  " AND allocation_reason = 'statement_cfu_share'", (RUNNING_POOL.id,))
    assert rows == [("usage_share", "high")]
    # the principal named by CRN in spec.principal is the identity pool it names
    crn = next((s for s in WORKLOAD.statements if s.principal.startswith("crn://")), None)
    if crn is not None and cfus[WORKLOAD.statements.index(crn)].sum():
        assert any(p == crn.principal_id for p, _ in got)
    # to the cent: every line sums back
    assert q(url, "SELECT count(*) FROM billing_costs b JOIN (SELECT line_no, sum(amount_usd) s FROM"
                  " hourly_cost_facts GROUP BY 1) f USING (line_no) WHERE b.amount <> f.s")[0][0] == 0


def test_a_deleted_statement_keeps_its_owner_and_an_unseen_one_pays_through_the_pool_owner(warehouse):
    url, _, _ = warehouse
    cfus = WORKLOAD.cfus(DAY)
    ran = [(i, s) for i, s in enumerate(WORKLOAD.statements) if s.compute_pool_id == RUNNING_POOL.id and cfus[i].sum()]
    deleted = [s for _, s in ran if s.listed(_observed_at(DAY)) and not s.listed(_billed_at(DAY))]
    assert deleted, "the day was picked to have one"
    history = q(url, "SELECT principal_id, valid_to IS NOT NULL FROM flink_statements_history WHERE statement_name"
                     " = %s", (deleted[0].name,))
    assert history == [(deleted[0].principal_id, False)] or history[0][0] == deleted[0].principal_id
    unseen = [(i, s) for i, s in ran if not s.listed(_observed_at(DAY))]
    (line_total,) = q(url, "SELECT sum(amount) FROM billing_costs WHERE resource_id = %s", (RUNNING_POOL.id,))[0]
    total = sum(int(cfus[i].sum()) for i, _ in ran)
    share = line_total * Decimal(sum(int(cfus[i].sum()) for i, _ in unseen)) / total
    (unknown,) = q(url, "SELECT coalesce(sum(amount_usd), 0) FROM hourly_cost_facts WHERE resource_id = %s"
                        " AND allocation_reason = 'statement_owner_unknown'", (RUNNING_POOL.id,))[0]
    assert abs(unknown - share) <= Decimal("0.0000001")
    hours = {h for (h,) in q(url, "SELECT DISTINCT extract(hour FROM hour)::int FROM hourly_cost_facts WHERE"
                                  " resource_id = %s AND allocation_reason = 'statement_owner_unknown'",
                             (RUNNING_POOL.id,))}
    assert hours == {h for i, _ in unseen for h in range(24) if cfus[i, h]}


def test_a_pool_without_statements_is_allocated_as_before_and_usage_is_captured(warehouse):
    url, out, _ = warehouse
    reasons = {r for (r,) in q(url, "SELECT DISTINCT allocation_reason FROM hourly_cost_facts WHERE resource_id = %s",
                               (IDLE_POOL.id,))}
    assert reasons and not reasons & {"statement_cfu_share", "statement_owner_unknown"}
    caps = q(url, "SELECT cluster_id, complete, source FROM usage_capture WHERE metric_set = 'flink'"
                  " AND usage_date = %s ORDER BY 1", (DAY,))
    assert {c for c, _, _ in caps} == {p.id for p in MODEL.flink_pools} and all(ok for _, ok, _ in caps)
    (n,) = q(url, "SELECT count(*) FROM flink_statement_usage_hourly WHERE usage_date = %s", (DAY,))[0]
    assert n == int((WORKLOAD.cfus(DAY) > 0).sum())
    assert "flink statements observed" in out


def test_a_region_without_a_flink_key_is_skipped_and_reported(pg_server_url, _template_db, tmp_path):
    gen = module_database(pg_server_url, _template_db)
    url = next(gen)
    try:
        with start_simulator(clock=MovableClock(_observed_at(DAY)), model=MODEL) as sim:
            env = simulator_env(sim.url, url, tmp_path, BILLING_START_DATE=(DAY - dt.timedelta(days=30)).isoformat(),
                                BILLING_PORTAL_NOW=_observed_at(DAY).isoformat())
            (tmp_path / "flink-keys.yaml").write_text("")  # no region has a key
            out = materialize(env, DAY, DAY + dt.timedelta(days=1), job="core-objects").stdout
        skipped = q(url, "SELECT skipped FROM observations WHERE source = 'flink'")
        assert skipped and skipped[0][0]["detail"], skipped
        assert any("no Flink API key" in d["reason"] for d in skipped[0][0]["detail"])
        assert q(url, "SELECT count(*) FROM flink_statements_history")[0][0] == 0
        assert "flink statements observed" in out
    finally:
        gen.close()
