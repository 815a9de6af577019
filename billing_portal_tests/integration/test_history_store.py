"""Objects as observations on a real PostgreSQL: versions per key with validity intervals, a day read with the
versions valid on it, history never rewritten, skipped scopes never closed, and the upgrade from daily snapshots."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import psycopg
import pytest

from billing_portal.history import day_basis, read_day, record_observation
from billing_portal.warehouse.connection import connect

UTC = dt.UTC


def at(day: str, hour: int = 6) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


def accounts(*rows: tuple[str, str, str | None]) -> pd.DataFrame:
    return pd.DataFrame([{"principal_id": pid, "display_name": name, "description": desc,
                          "raw": json.dumps({"id": pid, "metadata": {"created_at": created}})}
                         for pid, name, desc, created in ((r[0], r[1], r[2], r[3] if len(r) > 3 else None)
                                                          for r in rows)])


def observe(url: str, when: dt.datetime, frame: pd.DataFrame, table: str = "service_accounts", **kw):
    with connect(url) as conn, conn.transaction():
        return record_observation(conn, "objects", when, {table: frame}, run_id="t", **kw)


def day(url: str, d: str, table: str = "service_accounts") -> pd.DataFrame:
    with connect(url) as conn:
        return read_day(conn, table, dt.date.fromisoformat(d)).set_index("principal_id")


def test_versions_follow_what_was_seen_and_days_read_their_own(database_url):
    observe(database_url, at("2026-10-01"), accounts(("sa-1", "a", "Owner: ann"), ("sa-2", "b", "Owner: bob")))
    # next day: sa-1 renamed, sa-2 deleted, sa-3 created at 02:00 (after the previous observation)
    obs = observe(database_url, at("2026-10-02"),
                  accounts(("sa-1", "a", "Owner: carl"), ("sa-3", "c", "Owner: dan", "2026-10-02T02:00:00Z")))
    assert obs.changes["service_accounts"].as_dict() == {"seen": 2, "new": 1, "changed": 1, "gone": 1,
                                                         "unchanged": 0, "duplicates": 0}
    # a third observation that sees the same: nothing new, only observed_last moves
    same = observe(database_url, at("2026-10-03"),
                   accounts(("sa-1", "a", "Owner: carl"), ("sa-3", "c", "Owner: dan", "2026-10-02T02:00:00Z")))
    assert same.changes["service_accounts"].unchanged == 2 and same.totals()["new"] == 0

    before = day(database_url, "2026-09-20")  # before the first observation: the first observation, flagged
    assert set(before.index) == {"sa-1", "sa-2"} and before["before_first_observation"].all()
    oct1 = day(database_url, "2026-10-01")
    assert oct1.loc["sa-1", "description"] == "Owner: ann" and "sa-2" in oct1.index
    assert not oct1["before_first_observation"].any()
    assert "sa-3" not in oct1.index  # created after Oct 1 ended
    oct2 = day(database_url, "2026-10-02")  # the rename took effect during Oct 2: the day is read as it ended
    assert oct2.loc["sa-1", "description"] == "Owner: carl"
    assert "sa-2" in oct2.index  # deleted during Oct 2 (not seen at 06:00): still part of that day
    assert oct2.loc["sa-3", "display_name"] == "c"
    oct3 = day(database_url, "2026-10-03")
    assert set(oct3.index) == {"sa-1", "sa-3"}

    with connect(database_url) as conn:
        hist = conn.execute("SELECT principal_id, valid_from, valid_to FROM service_accounts_history"
                            " ORDER BY principal_id, valid_from").fetchall()
    assert hist == [("sa-1", at("2026-10-01"), at("2026-10-02")), ("sa-1", at("2026-10-02"), None),
                    ("sa-2", at("2026-10-01"), at("2026-10-02")),
                    ("sa-3", at("2026-10-02", 2), None)]  # from its created_at, after the previous observation


def test_history_only_moves_forward_and_rereading_changes_nothing(database_url):
    observe(database_url, at("2026-10-05"), accounts(("sa-1", "a", "x")))
    with pytest.raises(ValueError, match="history only moves forward"):
        observe(database_url, at("2026-10-04"), accounts(("sa-1", "a", "y")))
    first = day(database_url, "2026-10-05")
    again = day(database_url, "2026-10-05")
    pd.testing.assert_frame_equal(first, again)
    with connect(database_url) as conn:
        assert conn.execute("SELECT count(*) FROM service_accounts_history").fetchone()[0] == 1


def test_a_skipped_environment_keeps_its_objects(database_url):
    def clusters(*ids_envs):
        return pd.DataFrame([{"cluster_id": c, "env_id": e, "display_name": c, "raw": "{}"} for c, e in ids_envs])

    observe(database_url, at("2026-10-01"), clusters(("lkc-1", "env-a"), ("lkc-2", "env-b")), table="kafka_clusters")
    # env-b answered 403 this time: its cluster is neither seen nor gone
    obs = observe(database_url, at("2026-10-02"), clusters(("lkc-1", "env-a")), table="kafka_clusters",
                  skipped={"env_id": ["env-b"]})
    assert obs.changes["kafka_clusters"].gone == 0 and obs.skipped == {"env_id": ["env-b"]}
    with connect(database_url) as conn:
        ids = set(read_day(conn, "kafka_clusters", dt.date(2026, 10, 5))["cluster_id"])
        assert ids == {"lkc-1", "lkc-2"}
        assert day_basis(conn, "objects", dt.date(2026, 9, 1)).before_first_observation


def test_duplicates_and_no_observation(database_url):
    with connect(database_url) as conn:
        assert read_day(conn, "service_accounts", dt.date(2026, 10, 1)).empty
    obs = observe(database_url, at("2026-10-01"), accounts(("sa-1", "a", "x"), ("sa-1", "a", "x")))
    assert obs.changes["service_accounts"].duplicates == 1


def test_upgrade_from_daily_snapshots_keeps_the_newest_as_first_observation(pg_server_url):
    """A warehouse at migration 0005 with daily snapshots: 0006 makes the newest one the first observation."""
    import uuid
    from urllib.parse import urlsplit, urlunsplit

    from billing_portal.warehouse.migrate import available_migrations

    name = f"bpu_{uuid.uuid4().hex[:10]}"
    p = urlsplit(pg_server_url)
    admin = urlunsplit((p.scheme, p.netloc, "/postgres", p.query, ""))
    url = urlunsplit((p.scheme, p.netloc, "/" + name, p.query, ""))
    with psycopg.connect(admin, autocommit=True) as c:
        c.execute(f"CREATE DATABASE {name}")
    try:
        with connect(url) as conn, conn.transaction():
            for m in available_migrations():
                if m.version < 6:
                    conn.execute(m.sql)
            for d, desc in (("2026-09-01", "old"), ("2026-09-02", "new")):
                conn.execute("INSERT INTO service_accounts (snapshot_date, principal_id, display_name, description,"
                             " raw) VALUES (%s, 'sa-1', 'a', %s, '{}')", (d, desc))
            conn.execute("INSERT INTO partition_status (asset_name, usage_date, row_count, materialized_at)"
                         " VALUES ('service_accounts', '2026-09-02', 1, '2026-09-03T06:00:00Z')")
            six = next(m for m in available_migrations() if m.version == 6)
            conn.execute(six.sql)
            rows = conn.execute("SELECT description, valid_from FROM service_accounts_history").fetchall()
            assert rows == [("new", at("2026-09-03"))]
            assert read_day(conn, "service_accounts", dt.date(2026, 9, 1))["description"].tolist() == ["new"]
            # the next observation of the same object recognises its version (same hash as the migration's)
            obs = record_observation(conn, "objects", at("2026-09-04"), {"service_accounts": pd.DataFrame(
                [{"principal_id": "sa-1", "display_name": "a", "description": "new", "raw": "{}"}])})
            assert obs.changes["service_accounts"].unchanged == 1
    finally:
        with psycopg.connect(admin, autocommit=True) as c:
            c.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_write_day_stores_exactly_the_rows_read_day_gives(simulated_warehouse):
    """The per-day tables are written in the database (INSERT … SELECT of the versions valid on the day): the same
    rows `read_day` gives, for every object and catalog table, inside a rolled-back transaction."""
    import psycopg

    from billing_portal.history.resolve import read_day, write_day
    from billing_portal.history.specs import HISTORY_SPECS

    day = simulated_warehouse.days[-1]
    with psycopg.connect(simulated_warehouse.database_url) as conn:
        try:
            for table, spec in HISTORY_SPECS.items():
                want = read_day(conn, table, day)
                assert write_day(conn, table, day) == len(want), table
                cols = [*spec.attribute_names, "before_first_observation"]
                got = conn.execute(psycopg.sql.SQL("SELECT {} FROM {} WHERE snapshot_date = %s").format(
                    psycopg.sql.SQL(", ").join(
                        psycopg.sql.SQL("{}::text").format(psycopg.sql.Identifier(c))
                        if c in ("raw", "attributes", "classification_names") else psycopg.sql.Identifier(c)
                        for c in cols), psycopg.sql.Identifier(table)), (day,)).fetchall()
                assert sorted(got, key=repr) == sorted(
                    (tuple(r) for r in want[cols].itertuples(index=False, name=None)), key=repr), table
        finally:
            conn.rollback()
