"""The month rollups (model/rollups.py `grain="month"`, warehouse/derived_rollups.py) on a real PostgreSQL: kept
equal to the sum of their day rollup by each day's write (a rewritten day included), built for stored days by
migration 0017, and a summary answered from whole months plus the leftover days (query.summary_statement) is the
summary from the day rollup and from the facts: same rows, same exact amounts, same order, same JSON and CSV."""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pandas as pd
import psycopg
import pytest
from psycopg import sql
from psycopg.rows import dict_row

from billing_portal.defs.facts.write import write_facts
from billing_portal.model.rollups import (
    COST_MONTHLY_BUSINESS,
    COST_MONTHLY_PRINCIPAL,
    TOPIC_COST_DAILY,
    TOPIC_COST_DAILY_BUSINESS,
    TOPIC_COST_MONTHLY_BUSINESS,
)
from billing_portal.model.tables import ROLLUP_TABLES
from billing_portal.sidecar import query
from billing_portal.warehouse.derived_rollups import refresh_derived_rollups
from billing_portal_tests.factories import module_database, sidecar_app

# Every other day from Jan 27 to Apr 4, 2024 (across a leap February), and two lone days with principals seen
# nowhere else: Jan 5 (before Jan 10) and Mar 25 (after Mar 20).
DAYS = sorted({dt.date(2024, 1, 27) + dt.timedelta(days=2 * i) for i in range(35)}
              | {dt.date(2024, 1, 5), dt.date(2024, 3, 25), dt.date(2024, 2, 29)})
TEAMS = ["payments", "search", "", "tab\there", None]


def _facts(day: dt.date, n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)

    def pick(values):
        return pd.array([values[i] for i in rng.integers(0, len(values), n)], dtype="str")

    frame = pd.DataFrame({
        "hour": pd.Timestamp(day.isoformat() + "T00:00Z") + pd.to_timedelta(rng.integers(0, 24, n), unit="h"),
        "line_no": rng.integers(0, 20, n), "org_id": pick(["org-1"]), "env_id": pick(["env-1", None]),
        "resource_id": pick(["lkc-1", "lkc-2", None]), "resource_type": pick(["kafka", None]),
        "cluster_id": pick(["lkc-1", "lkc-2", None]), "product": pick(["KAFKA", "CONNECT"]),
        "line_type": pick(["KAFKA_BASE", "KAFKA_NETWORK_READ"]),
        "principal_id": pick([f"sa-{i}" for i in range(7)]), "principal_type": pick(["service_account", None]),
        "owner": pick(["ana", None]), "team": pick(TEAMS), "business_unit": pick(["bu-a", "bu-b", None, ""]),
        "business_product": pick(["p1", None]), "cost_center": pick(["CC-1", None]),
        "allocation_method": pick(["by_usage"]), "allocation_reason": pick(["r1"]),
        "confidence": pick(["high", "low"]),
    })
    frame["amount_units"] = rng.integers(-10**10, 10**11, n)
    frame.loc[::5, "amount_units"] = 0
    if day == dt.date(2024, 1, 5):
        frame.loc[:3, "principal_id"] = "sa-early"
    if day == dt.date(2024, 3, 25):
        frame.loc[:3, "principal_id"] = "sa-late"
    if day == dt.date(2024, 2, 14):  # a group whose only fact is 0: still a group of every range holding it
        frame.loc[0, ["principal_id", "amount_units"]] = ["sa-zero", 0]
    return frame


def _topic_rows(conn, day: dt.date) -> None:
    """A day of the topic view's day rollup (from that day's principal facts, as a topic would carry them), then
    the topic writer's hook."""
    dims = sql.SQL(", ").join(sql.Identifier(d) for d in TOPIC_COST_DAILY.group_by)
    conn.execute(sql.SQL(
        "INSERT INTO topic_cost_daily (usage_date, {dims}, amount_usd, fact_rows, charges_usd)"
        " SELECT usage_date, org_id, env_id, coalesce(cluster_id, 'lkc-0'), product, line_type, principal_id, owner,"
        " team, business_unit, business_product, cost_center, allocation_method, allocation_reason, confidence,"
        " sum(amount_usd), count(*), coalesce(sum(amount_usd) FILTER (WHERE amount_usd > 0), 0)"
        " FROM hourly_cost_facts WHERE usage_date = %s GROUP BY {keys}").format(
        dims=dims, keys=sql.SQL(", ").join(sql.SQL(str(i)) for i in range(1, 16))), (day,))
    refresh_derived_rollups(conn, "hourly_topic_facts", day)


@pytest.fixture(scope="module")
def url(pg_server_url, _template_db):
    gen = module_database(pg_server_url, _template_db)
    url = next(gen)
    with psycopg.connect(url) as conn:
        for i, day in enumerate(DAYS):
            with conn.transaction():
                write_facts(conn, day, _facts(day, 150, seed=i))
                _topic_rows(conn, day)
        conn.execute("ANALYZE")
        conn.commit()
    yield url
    gen.close()


def _month_rows_from_days(conn, month) -> list[tuple]:
    """A month rollup as GROUP BY of its day rollup over everything stored."""
    day = month.of
    dims = ", ".join(month.group_by)
    return sorted(conn.execute(
        f"SELECT date_trunc('month', usage_date::timestamp)::date, {dims}, sum(amount_usd), sum(fact_rows),"
        f" sum(charges_usd) FROM {day.name} GROUP BY 1, {dims}").fetchall(), key=repr)


def _rows(conn, table: str) -> list[tuple]:
    return sorted(conn.execute(f"SELECT * FROM {table}").fetchall(), key=repr)


MONTHLY = [r for r in ROLLUP_TABLES if r.grain == "month"]


def test_month_rollups_are_the_sums_of_their_days(url):
    assert {r.name for r in MONTHLY} == {COST_MONTHLY_BUSINESS.name, COST_MONTHLY_PRINCIPAL.name,
                                         TOPIC_COST_MONTHLY_BUSINESS.name}
    with psycopg.connect(url) as conn:
        for month in MONTHLY:
            rows = _rows(conn, month.name)
            assert rows == _month_rows_from_days(conn, month), month.name
            assert {r[0] for r in rows} == {dt.date(2024, m, 1) for m in (1, 2, 3, 4)}
        total = conn.execute("SELECT sum(amount_usd), count(*), coalesce(sum(amount_usd) FILTER"
                             " (WHERE amount_usd > 0), 0) FROM hourly_cost_facts").fetchone()
        for name in ("cost_monthly_business", "cost_monthly_principal", "topic_cost_monthly_business",
                     "topic_cost_daily_business"):
            assert conn.execute(f"SELECT sum(amount_usd), sum(fact_rows), sum(charges_usd) FROM {name}"
                                ).fetchone() == total, name
        dims = ", ".join(TOPIC_COST_DAILY_BUSINESS.group_by)
        assert _rows(conn, "topic_cost_daily_business") == sorted(conn.execute(
            f"SELECT usage_date, {dims}, sum(amount_usd), sum(fact_rows), sum(charges_usd) FROM topic_cost_daily"
            f" GROUP BY usage_date, {dims}").fetchall(), key=repr)


def test_rewriting_a_day_recomputes_its_month_only(pg_server_url, _template_db):
    gen = module_database(pg_server_url, _template_db)
    url = next(gen)
    try:
        with psycopg.connect(url) as conn:
            for i, day in enumerate((dt.date(2024, 2, 28), dt.date(2024, 2, 29), dt.date(2024, 3, 1))):
                with conn.transaction():
                    write_facts(conn, day, _facts(day, 100, seed=i))
            march = _rows(conn, "cost_monthly_principal")
            march = [r for r in march if r[0] == dt.date(2024, 3, 1)]
            with conn.transaction():
                write_facts(conn, dt.date(2024, 2, 29), _facts(dt.date(2024, 2, 29), 80, seed=99))
            for month in MONTHLY[:2]:
                assert _rows(conn, month.name) == _month_rows_from_days(conn, month)
            assert [r for r in _rows(conn, "cost_monthly_principal") if r[0] == dt.date(2024, 3, 1)] == march
    finally:
        gen.close()


def test_migration_0017_builds_the_rollups_of_stored_days(url):
    from billing_portal.warehouse.migrate import available_migrations

    mig = next(m for m in available_migrations() if m.version == 17)
    inserts = mig.sql[mig.sql.index("INSERT INTO topic_cost_daily_business"):]
    names = ["topic_cost_daily_business", *(r.name for r in MONTHLY)]
    with psycopg.connect(url) as conn, conn.transaction(force_rollback=True):
        conn.execute("SET TIME ZONE 'America/Los_Angeles'")  # the months do not depend on the session's zone
        expected = {t: _rows(conn, t) for t in names}
        conn.execute("TRUNCATE " + ", ".join(names))
        conn.execute(inserts)
        for t in names:
            assert _rows(conn, t) == expected[t], t


def d(s: str) -> dt.datetime:
    return dt.datetime.fromisoformat(s + "T00:00:00+00:00")


RANGES = [
    ("2024-01-28", "2024-04-03"),  # a few days of January, two whole months, a few days of April
    ("2024-01-10", "2024-03-20"),  # most of January (month minus Jan 1-9), February, most of March (minus 20-31)
    ("2024-02-01", "2024-03-01"),  # exactly one month
    ("2024-02-10", "2024-03-05"),  # most of February, then days
    ("2024-01-01", "2024-06-01"),  # whole months, empty ones too
    ("2024-02-16", "2024-02-29"),  # no whole month: the day rollup alone
    ("2024-03-02", "2024-04-01"),  # March minus its first day
    ("2024-04-05", "2024-05-01"),  # April minus every day that has facts: no row in the range
]
CASES = [
    (["business_unit"], {}),
    (["principal_id"], {}),
    (["team", "cost_center"], {}),
    ([], {}),
    (["principal_id", "team"], {"business_unit": ["bu-a", ""]}),
    (["confidence", "business_product"], {"team": ["tab\there"]}),
    (["team"], {"product": ["KAFKA"], "confidence": ["low"]}),
]


def _summary(url: str, view: query.FactView, group_by, granularity, filters, lo, hi) -> tuple[str, list]:
    source = view.pick_source_for_range(set(group_by), granularity, set(filters), lo, hi)
    stmt, params = query.summary_statement(source, group_by, granularity, filters, lo, hi)
    with psycopg.connect(url, row_factory=dict_row) as conn:
        conn.execute("SET TIME ZONE 'UTC'")
        return source.relation, conn.execute(stmt, params).fetchall()


def _without_months(view: query.FactView) -> query.FactView:
    return dataclasses.replace(view, rollups=tuple(dataclasses.replace(s, months=None) for s in view.rollups))


@pytest.mark.parametrize("granularity", ["total", "month"])
@pytest.mark.parametrize("group_by,filters", CASES)
@pytest.mark.parametrize("view_name", ["principal", "topic"])
def test_summaries_from_month_rollups_equal_day_rollups_and_facts(url, view_name, group_by, filters, granularity):
    view = query.VIEWS[view_name]
    if view_name == "topic":
        group_by = [g.replace("principal_id", "topic") for g in group_by]
    used, has_months = set(), set()
    for lo, hi in RANGES:
        lo, hi = d(lo), d(hi)
        source = view.pick_source_for_range(set(group_by), granularity, set(filters), lo, hi)
        has_months.add(source.months is not None)
        used.add(query.month_plan(source, granularity, lo, hi) is not None)
        relation, with_months = _summary(url, view, group_by, granularity, filters, lo, hi)
        assert relation != view.facts.relation
        _, from_days = _summary(url, _without_months(view), group_by, granularity, filters, lo, hi)
        assert with_months == from_days, (lo, hi)
        if view_name == "principal":  # the topic view's facts are not written here (its rollups are)
            relation, from_facts = _summary(url, dataclasses.replace(view, rollups=()), group_by, granularity,
                                            filters, lo, hi)
            assert relation == view.facts.relation
            assert with_months == from_facts, (lo, hi)
    assert used == ({True, False} if has_months == {True} else {False})
    assert has_months == {"topic" not in group_by}  # topic_cost_daily has no month rollup


def test_the_plan_takes_whole_months_and_the_smaller_side_of_partial_ones():
    src = query.PRINCIPAL_VIEW.pick_source({"business_unit"}, "total")
    assert src.months is not None and src.months.relation == "cost_monthly_business"
    plan = query.month_plan(src, "total", d("2024-01-10"), d("2024-03-20"))
    assert plan.months == (dt.date(2024, 1, 1), dt.date(2024, 2, 1), dt.date(2024, 3, 1))
    assert plan.minus == ((dt.date(2024, 1, 1), dt.date(2024, 1, 10)), (dt.date(2024, 3, 20), dt.date(2024, 4, 1)))
    assert plan.days == ()
    plan = query.month_plan(src, "month", d("2024-01-28"), d("2024-04-03"))
    assert plan.months == (dt.date(2024, 2, 1), dt.date(2024, 3, 1))
    assert plan.days == ((dt.date(2024, 1, 28), dt.date(2024, 2, 1)), (dt.date(2024, 4, 1), dt.date(2024, 4, 3)))
    assert query.month_plan(src, "day", d("2024-01-01"), d("2024-03-01")) is None
    assert query.month_plan(src, "total", d("2024-02-03"), d("2024-02-14")) is None
    assert query.month_plan(query.PRINCIPAL_VIEW.facts, "total", d("2024-01-01"), d("2024-03-01")) is None


@pytest.mark.parametrize("path,params", [
    ("/v1/costs/summary", {"group_by": "principal,team", "granularity": "month"}),
    ("/v1/costs/summary", {"group_by": "business_unit", "team": "payments"}),
    ("/v1/costs/summary", {"granularity": "total"}),
    ("/v1/topics/summary", {"group_by": "team,cost_center", "granularity": "month"}),
    ("/v1/topics/summary", {"group_by": "business_unit"}),
])
def test_the_api_answers_byte_for_byte_the_same_with_and_without_month_rollups(url, monkeypatch, path, params):
    app = sidecar_app(url)
    client = app.test_client()
    plan = query.month_plan

    def answers() -> list[bytes]:
        out = []
        for lo, hi in RANGES:
            for fmt in ("json", "csv"):
                r = client.get(path, query_string={**params, "from_ts": lo + "T00:00:00Z",
                                                   "to_ts": hi + "T00:00:00Z", "format": fmt})
                assert r.status_code == 200, r.get_data(as_text=True)
                out.append(r.get_data())
        return out

    calls = []
    monkeypatch.setattr(query, "month_plan", lambda *a: calls.append(plan(*a)) or calls[-1])
    with_months = answers()
    assert any(p is not None for p in calls)
    monkeypatch.setattr(query, "month_plan", lambda *a: None)
    assert answers() == with_months
