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


def _stored(conn, day):
    """The day's published bill lines and stored facts, as the asset holds them before writing."""
    import pandas as pd
    import pyarrow as pa

    from billing_portal.money import to_units

    lines = pd.DataFrame(conn.execute("SELECT line_no, resource_id, line_type, amount FROM billing_costs"
                                      " WHERE usage_date = %s", (day,)).fetchall(),
                         columns=["line_no", "resource_id", "line_type", "amount"])
    lines["amount_units"] = [to_units(a) for a in lines["amount"]]
    rows = conn.execute("SELECT line_no, resource_id, line_type, principal_id, amount_usd FROM hourly_cost_facts"
                        " WHERE usage_date = %s", (day,)).fetchall()
    facts = pa.table({"line_no": [r[0] for r in rows], "resource_id": [r[1] for r in rows],
                      "line_type": [r[2] for r in rows], "principal_id": [r[3] for r in rows],
                      "amount_units": pa.array([to_units(r[4]) for r in rows], pa.int64())})
    return lines, facts


def test_the_in_memory_reconciliation_is_the_stored_one(simulated_warehouse):
    """reconcile_facts (what the asset runs on the rows it writes) gives reconcile_day's answer on the stored day,
    and catches the same tampering: a cent moved between lines, a line's facts missing, a fact of no line."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from billing_portal.defs.facts.checks import quarantined_bill, reconcile_facts

    with psycopg.connect(simulated_warehouse.database_url) as conn:
        for day in simulated_warehouse.days:
            lines, facts = _stored(conn, day)
            assert reconcile_facts(day, lines, facts, *quarantined_bill(conn, day)) == reconcile_day(conn, day)
        amounts = facts.column("amount_units").to_numpy().copy()
        line_no = facts.column("line_no").to_numpy()
        a, b = (int(i) for i in pc.unique(facts.column("line_no")).to_numpy()[:2])
        i, j = int((line_no == a).argmax()), int((line_no == b).argmax())
        amounts[i] += 1_000_000
        amounts[j] -= 1_000_000
        moved = facts.set_column(facts.column_names.index("amount_units"), "amount_units", pa.array(amounts))
        rec = reconcile_facts(day, lines, moved)
        assert rec.billed == rec.allocated and rec.mismatched_lines == 2 and not rec.ok
        missing = facts.filter(pc.not_equal(facts.column("line_no"), a))
        rec = reconcile_facts(day, lines, missing)
        assert rec.allocated != rec.billed and rec.mismatched_lines == 1 and rec.mismatched_resource_line_types >= 0
        extra = pa.concat_tables([facts, facts.slice(0, 1).set_column(0, "line_no", pa.array([99999], pa.int64()))])
        assert reconcile_facts(day, lines, extra).mismatched_lines == 1
