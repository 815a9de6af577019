import datetime as dt
import os
import shutil
import tempfile
import threading
from decimal import Decimal
from pathlib import Path

import pandas as pd
import psycopg
import pytest

from billing_portal.warehouse.migrate import available_migrations, migrate
from billing_portal.warehouse.replace import replace_days, swap_day_partition

DAY = dt.date(2024, 5, 1)


def facts(n: int, amount: str) -> pd.DataFrame:
    return pd.DataFrame({
        "usage_date": [DAY] * n,
        "hour": pd.date_range("2024-05-01", periods=n, freq="h", tz="UTC"),
        "fact_no": range(n), "line_no": [0] * n, "product": ["KAFKA"] * n, "line_type": ["KAFKA_BASE"] * n,
        "principal_id": ["sa-1"] * n, "amount_usd": [Decimal(amount)] * n, "allocation_method": ["m"] * n,
        "allocation_reason": ["r"] * n, "confidence": ["low"] * n,
    })


def test_migrations_are_idempotent(database_url):
    assert migrate(database_url) == []  # the template already has them all
    with psycopg.connect(database_url) as conn:
        versions = [r[0] for r in conn.execute("SELECT version FROM schema_migrations ORDER BY 1")]
    assert versions == [m.version for m in available_migrations()]


def test_swap_replaces_the_day_and_never_duplicates(database_url):
    with psycopg.connect(database_url) as conn:
        for amount in ("1.5", "2.25", "2.25"):
            with conn.transaction():
                swap_day_partition(conn, "hourly_cost_facts", DAY, facts(24, amount))
        n, total = conn.execute("SELECT count(*), sum(amount_usd) FROM hourly_cost_facts").fetchone()
    assert (n, total) == (24, Decimal("54.00000000"))


def test_a_failed_write_leaves_the_old_day(database_url):
    with psycopg.connect(database_url) as conn:
        with conn.transaction():
            swap_day_partition(conn, "hourly_cost_facts", DAY, facts(24, "1"))
        bad = facts(24, "2")
        bad.loc[5, "hour"] = pd.Timestamp("2024-05-02T03:00Z")  # outside the day: the partition CHECK refuses it
        with pytest.raises(psycopg.errors.CheckViolation):
            with conn.transaction():
                swap_day_partition(conn, "hourly_cost_facts", DAY, bad)
        assert conn.execute("SELECT count(*), sum(amount_usd) FROM hourly_cost_facts").fetchone() == (
            24, Decimal("24.00000000"))


def test_readers_see_old_or_new_day_never_a_mix(database_url):
    with psycopg.connect(database_url) as conn, conn.transaction():
        swap_day_partition(conn, "hourly_cost_facts", DAY, facts(24, "1"))
    seen, stop = set(), threading.Event()

    def reader():
        with psycopg.connect(database_url, autocommit=True) as r:
            while not stop.is_set():
                seen.add(r.execute("SELECT count(*), sum(amount_usd) FROM hourly_cost_facts").fetchone())

    t = threading.Thread(target=reader)
    t.start()
    try:
        with psycopg.connect(database_url) as conn:
            for i in range(10):
                with conn.transaction():
                    swap_day_partition(conn, "hourly_cost_facts", DAY, facts(24, "1" if i % 2 else "3"))
    finally:
        stop.set()
        t.join()
    assert seen <= {(24, Decimal("24.00000000")), (24, Decimal("72.00000000"))}, seen


def test_replace_days_is_per_day(database_url):
    frame = pd.DataFrame({"usage_date": [DAY, DAY], "hour": pd.to_datetime(["2024-05-01T00:00Z"] * 2, utc=True),
                          "cluster_id": ["lkc-1", "lkc-2"], "principal_id": ["sa-1", "sa-2"],
                          "request_bytes": [1.0, 2.0], "response_bytes": [3.0, 4.0]})
    other = frame.assign(usage_date=DAY + dt.timedelta(days=1))
    with psycopg.connect(database_url) as conn:
        for f in (frame, other, frame):
            with conn.transaction():
                replace_days(conn, "principal_usage_hourly", "usage_date", [f["usage_date"][0]], f)
        rows = conn.execute("SELECT usage_date, count(*) FROM principal_usage_hourly GROUP BY 1 ORDER BY 1").fetchall()
    assert rows == [(DAY, 2), (DAY + dt.timedelta(days=1), 2)]


@pytest.mark.skipif(os.geteuid() != 0, reason="the embedded server runs as another user only when started by root")
def test_embedded_server_is_still_seen_running_when_a_parent_loses_its_permissions():
    """Started by root, the server runs as `pgserver`, whose `pg_ctl status` answers "unknown" (4) once a parent of
    the data directory goes back to 0700 (pytest does it to its base temporary directory when another session
    starts). Unknown is not stopped: the demo must still see and stop the server it started, and a second process
    must not try to start another one (issue 16)."""
    from billing_portal.warehouse.embedded import embedded_running, start_embedded, stop_embedded

    parent = Path(tempfile.mkdtemp(prefix="bpperm", dir="/tmp"))
    home = parent / "home"
    try:
        parent.chmod(0o755)
        url = start_embedded(home)
        parent.chmod(0o700)
        assert embedded_running(home)
        parent.chmod(0o700)
        assert start_embedded(home) == url  # reused, not a second postmaster
        parent.chmod(0o700)
        assert stop_embedded(home) and not embedded_running(home)
    finally:
        stop_embedded(home)
        shutil.rmtree(parent, ignore_errors=True)
