"""The fast fact write path on a real PostgreSQL: exact round trip of amounts and awkward strings, rollups aggregated
in Arrow equal to the SQL rollups and to the facts, and the API's aggregates answer identically from rollups and
from the facts."""

import dataclasses
import datetime as dt
from decimal import Decimal

import numpy as np
import pandas as pd
import psycopg
import pytest
from psycopg.rows import dict_row

from billing_portal.defs.facts.write import write_facts
from billing_portal.money import from_units
from billing_portal.sidecar import query
from billing_portal.warehouse.rollups import ROLLUP_TABLES, refresh_rollups

DAY = dt.date(2024, 5, 1)
AWKWARD = ["plain", "", "tab\there", "new\nline", "cr\rx", "back\\slash", "\\N", "\\.", "ünï€ødé 🚀", "a,b\"c'd",
           None]


def _facts(n: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)

    def pick(values):
        return pd.array([values[i] for i in rng.integers(0, len(values), n)], dtype="str")

    frame = pd.DataFrame({
        "hour": pd.Timestamp("2024-05-01T00:00Z") + pd.to_timedelta(rng.integers(0, 24, n), unit="h"),
        "line_no": rng.integers(0, 40, n),
        "org_id": pick(["org-1"]), "env_id": pick(["env-1", "env-2", None]),
        "resource_id": pick(["lkc-1", "lkc-2", "lcc-1", None]), "resource_type": pick(["kafka", "connector", None]),
        "cluster_id": pick(["lkc-1", "lkc-2", None]), "product": pick(["KAFKA", "CONNECT"]),
        "line_type": pick(["KAFKA_BASE", "KAFKA_NETWORK_READ"]), "principal_id": pick([f"sa-{i}" for i in range(9)]),
        "principal_type": pick(["service_account", "user", None]), "owner": pick(AWKWARD),
        "team": pick(AWKWARD), "business_unit": pick(["bu-a", "bu-b", None, ""]),
        "business_product": pick(["p1", None]), "cost_center": pick(["CC-1", "CC\t2", None]),
        "allocation_method": pick(["by_usage", "unallocated"]), "allocation_reason": pick(["r1", "r2"]),
        "confidence": pick(["high", "low"]),
    })
    frame["amount_units"] = rng.integers(-10**11, 10**11, n)
    frame.loc[::7, "amount_units"] = 0
    return frame


def _write(url: str, facts: pd.DataFrame) -> None:
    with psycopg.connect(url) as conn, conn.transaction():
        write_facts(conn, DAY, facts)


def test_round_trip_is_exact_for_amounts_strings_and_nulls(database_url):
    facts = _facts(3000)
    _write(database_url, facts)
    with psycopg.connect(database_url, row_factory=dict_row) as conn:
        rows = conn.execute("SELECT * FROM hourly_cost_facts ORDER BY fact_no").fetchall()
        indexes = {r["indexdef"].split(" USING ")[1] for r in conn.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'hourly_cost_facts_p20240501'")}
    assert len(rows) == len(facts)
    assert [r["fact_no"] for r in rows] == list(range(len(facts)))
    assert [r["hour"] for r in rows] == sorted(r["hour"] for r in rows)
    order = np.argsort(facts["hour"].to_numpy(), kind="stable")
    expected = facts.iloc[order].reset_index(drop=True)
    for i in (0, 1, 2, 500, 1234, len(facts) - 1):
        r, e = rows[i], expected.iloc[i]
        assert r["amount_usd"] == from_units(int(e["amount_units"]))
        assert r["usage_date"] == DAY and r["line_no"] == e["line_no"]
        for col in ("owner", "team", "business_unit", "cost_center", "env_id", "principal_type"):
            assert r[col] == (None if pd.isna(e[col]) else e[col]), (i, col)
    assert sum(r["amount_usd"] for r in rows) == from_units(int(facts["amount_units"].sum()))
    assert {r["team"] for r in rows} == set(AWKWARD)
    assert indexes == {"btree (fact_no)", "btree (principal_id, fact_no)"}


def _rollup_rows(conn, table: str) -> list[tuple]:
    return sorted(conn.execute(f"SELECT * FROM {table}").fetchall(), key=repr)


def test_rollups_from_arrow_equal_sql_rollups_and_the_facts(database_url):
    _write(database_url, _facts(5000, seed=2))
    with psycopg.connect(database_url) as conn:
        arrow = {r.name: _rollup_rows(conn, r.name) for r in ROLLUP_TABLES}
        with conn.transaction():
            refresh_rollups(conn, DAY)
        sql_ = {r.name: _rollup_rows(conn, r.name) for r in ROLLUP_TABLES}
        total = conn.execute("SELECT sum(amount_usd), count(*) FROM hourly_cost_facts").fetchone()
        for r in ROLLUP_TABLES:
            assert arrow[r.name] == sql_[r.name], r.name
            assert conn.execute(f"SELECT sum(amount_usd), sum(fact_rows) FROM {r.name}").fetchone() == total


@pytest.mark.parametrize("group_by,granularity,filters", [
    (["business_unit"], "total", {}),
    (["principal_id"], "total", {}),
    (["team", "cost_center"], "day", {}),
    (["principal_id", "team"], "month", {"business_unit": ["bu-a", ""]}),
    (["cluster_id", "product"], "hour", {}),
    (["team"], "hour", {"product": ["KAFKA"]}),
    ([], "day", {"principal_id": ["sa-1"]}),
    (["confidence", "business_product"], "total", {"team": ["tab\there"]}),
])
def test_api_aggregates_answer_identically_from_rollups_and_facts(database_url, monkeypatch, group_by, granularity,
                                                                   filters):
    _write(database_url, _facts(4000, seed=3))
    lo = dt.datetime(2024, 5, 1, tzinfo=dt.UTC)
    hi = lo + dt.timedelta(days=1)

    def run() -> tuple[str, list]:
        source = query.pick_source_for_range(set(group_by), granularity, set(filters), lo, hi)
        where = query.range_and_filters(source, lo, hi, filters)
        with psycopg.connect(database_url, row_factory=dict_row) as conn:
            conn.execute("SET TIME ZONE 'UTC'")
            return source.relation, conn.execute(query.aggregate_statement(source, group_by, granularity, where),
                                                 where.params).fetchall()

    relation, from_rollup = run()
    assert relation != query.FACTS
    monkeypatch.setattr(query, "PRINCIPAL_VIEW", dataclasses.replace(query.PRINCIPAL_VIEW, rollups=()))
    relation, from_facts = run()
    assert relation == query.FACTS
    assert from_rollup == from_facts
    assert sum((r["amount_usd"] for r in from_facts), Decimal(0)) != 0


def test_rollup_aggregation_equals_a_pandas_group_by():
    """Arrow's group-by over dictionary codes gives pandas' groups (nulls a group of their own), exact sums of the
    amounts and of their positive part, and row counts."""
    from billing_portal.defs.facts.write import fact_table
    from billing_portal.warehouse.rollups import aggregate_rollup

    facts = _facts(3000, seed=4)
    table = fact_table(facts)
    for rollup in ROLLUP_TABLES:
        got = aggregate_rollup(rollup, table).to_pandas()
        keys = list(rollup.keys)
        frame = facts.assign(charges_units=facts["amount_units"].clip(lower=0))
        want = frame.groupby(keys, dropna=False).agg(amount_units=("amount_units", "sum"),
                                                     charges_units=("charges_units", "sum"),
                                                     fact_rows=("amount_units", "size")).reset_index()

        def rows(f: pd.DataFrame, keys=keys) -> list:
            f = f.astype({k: object for k in keys if k != "hour"})
            return sorted((tuple(None if pd.isna(v) else v for v in r) for r in
                           f[[*keys, "amount_units", "charges_units", "fact_rows"]].itertuples(index=False)), key=repr)

        assert rows(got) == rows(want), rollup.name
        assert int(got["amount_units"].sum()) == int(facts["amount_units"].sum())


def test_migration_0003_derives_the_new_rollups_of_days_written_before_it(database_url):
    """A warehouse upgraded to 0003 already holds facts: the new rollups are derived from them by the migration."""
    from billing_portal.warehouse.migrate import available_migrations

    _write(database_url, _facts(2000, seed=5))
    mig = next(m for m in available_migrations() if m.version == 3)
    inserts = mig.sql[mig.sql.index("INSERT INTO cost_daily_business"):]
    tables = ("cost_daily_business", "cost_daily_principal")
    with psycopg.connect(database_url) as conn:
        expected = {t: _rollup_rows(conn, t) for t in tables}
        # 0003 predates charges_usd (0014, the last column), which it cannot fill: compare every other column
        with conn.transaction(force_rollback=True):
            for t in tables:
                conn.execute(f"ALTER TABLE {t} ALTER COLUMN charges_usd SET DEFAULT 0")
            conn.execute("TRUNCATE cost_daily_business, cost_daily_principal")
            conn.execute(inserts)
            for table, rows in expected.items():
                got = sorted((r[:-1] for r in conn.execute(f"SELECT * FROM {table}").fetchall()), key=repr)
                assert got == sorted((r[:-1] for r in rows), key=repr), table


def test_migration_0014_rolls_up_again_with_charges_and_figures(database_url):
    """A warehouse upgraded to 0014 already holds facts and rollups without charges_usd: the migration rolls every
    day up again from the facts, with the charges (positive amounts) of each group, and derives its figures."""
    from billing_portal.warehouse.migrate import available_migrations

    _write(database_url, _facts(2000, seed=6))
    mig = next(m for m in available_migrations() if m.version == 14)
    rebuild = mig.sql[mig.sql.index("DELETE FROM cost_daily;"):mig.sql.index("-- From now on")]
    # cost_daily and cost_hourly_team changed shape in 0015 (test_migration_0015.py): their statements of 0014 no
    # longer apply
    changed = ("cost_daily ", "cost_daily;", "cost_hourly_team")
    rebuild = "\n\n".join(s for s in rebuild.split("\n\n") if not any(c in s for c in changed))
    rebuilt = [r for r in ROLLUP_TABLES if r.name not in ("cost_daily", "cost_hourly_team")]
    tables = [r.name for r in rebuilt] + ["cost_figures_daily"]
    with psycopg.connect(database_url) as conn:
        expected = {t: _rollup_rows(conn, t) for t in tables}
        with conn.transaction():
            for r in rebuilt:
                conn.execute(f"UPDATE {r.name} SET charges_usd = 0")
            conn.execute("TRUNCATE cost_figures_daily")
            conn.execute(rebuild)
        for t in tables:
            assert _rollup_rows(conn, t) == expected[t], t
        charges, net, pos = conn.execute(
            "SELECT (SELECT sum(charges_usd) FROM cost_daily_business), (SELECT sum(amount_usd) FROM cost_daily),"
            " (SELECT sum(amount_usd) FILTER (WHERE amount_usd > 0) FROM hourly_cost_facts)").fetchone()
        assert charges == pos and charges > net  # random signs: groups mix charges and credits
        mixed = conn.execute("SELECT count(*) FROM cost_daily_business WHERE charges_usd > greatest(amount_usd, 0)")
        assert mixed.fetchone()[0] > 0  # rows holding a charge and a credit: the net alone would lose the charge
