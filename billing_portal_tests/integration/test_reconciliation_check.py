"""The reconciliation check (`defs/facts/checks.reconcile_day`) on a day the pipeline stored: balanced as stored,
and it catches a cent moved between lines, a line's facts missing, and an extra fact (inside a transaction that is
rolled back, so the shared warehouse is left as it was)."""

from __future__ import annotations

from decimal import Decimal

import psycopg

from billing_portal.defs.facts.checks import reconcile_day


def test_stored_days_reconcile(simulated_warehouse):
    with psycopg.connect(simulated_warehouse.database_url) as conn:
        for day in simulated_warehouse.days:
            rec = reconcile_day(conn, day)
            assert rec.ok, rec.as_dict()
            assert rec.billed == rec.allocated > 0
            assert rec.mismatched_lines == rec.mismatched_resource_line_types == 0


def test_tampered_facts_are_caught(simulated_warehouse):
    day = simulated_warehouse.days[-1]
    with psycopg.connect(simulated_warehouse.database_url) as conn:
        try:
            two = conn.execute(
                "SELECT DISTINCT ON (line_no) line_no, fact_no FROM hourly_cost_facts WHERE usage_date = %s"
                " AND line_type = 'KAFKA_NETWORK_WRITE' ORDER BY line_no, fact_no LIMIT 2", (day,)).fetchall()
            (line_a, fact_a), (line_b, fact_b) = two
            # A cent moved from one line to another: the day's total still balances, the lines do not.
            conn.execute("UPDATE hourly_cost_facts SET amount_usd = amount_usd + 0.01 WHERE usage_date = %s"
                         " AND fact_no = %s", (day, fact_a))
            conn.execute("UPDATE hourly_cost_facts SET amount_usd = amount_usd - 0.01 WHERE usage_date = %s"
                         " AND fact_no = %s", (day, fact_b))
            rec = reconcile_day(conn, day)
            assert rec.billed == rec.allocated and not rec.ok
            assert rec.mismatched_lines == 2
            # One line's facts gone: the total and that line differ.
            conn.execute("DELETE FROM hourly_cost_facts WHERE usage_date = %s AND line_no = %s", (day, line_a))
            rec = reconcile_day(conn, day)
            assert rec.allocated != rec.billed and rec.mismatched_lines == 2
            assert rec.mismatched_resource_line_types >= 1
            # A fact for a line the bill does not have.
            conn.execute("INSERT INTO hourly_cost_facts SELECT usage_date, hour, 10000000, 99999, org_id, env_id,"
                         " resource_id, resource_type, cluster_id, product, line_type, principal_id, principal_type,"
                         " owner, team, business_unit, business_product, cost_center, %s, allocation_method,"
                         " allocation_reason, confidence FROM hourly_cost_facts WHERE usage_date = %s AND fact_no = %s",
                         (Decimal("0.00000001"), day, fact_b))
            assert reconcile_day(conn, day).mismatched_lines == 3
        finally:
            conn.rollback()
        assert reconcile_day(conn, day).ok
