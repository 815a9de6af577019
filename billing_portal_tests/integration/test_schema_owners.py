"""Stream Governance lines split over schema owners (`split: schema_owners`) through the real pipeline against the
simulator: the catalog crawl reads every registry's `sr_schema` entities with their tags, the ownership asset stores
each schema's owner (schema_attribution), and each registry's SCHEMA_REGISTRY / GOVERNANCE_BASE line is split by
schema count over the owners (reason schema_owner_share), the unowned schemas' share to the key holders, to the cent."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal

import psycopg
import pytest

from billing_portal.simulator import build_model, start_simulator
from billing_portal.simulator.catalog import build_catalog
from billing_portal_tests.factories import module_database
from billing_portal_tests.pipeline import materialize, newest_billed_day, simulator_env

MODEL = build_model(42, "small")
DAY = newest_billed_day()
RULES = """governance_splits:
  SCHEMA_REGISTRY: {split: schema_owners}
  governance_base: {split: schema_owners}
"""


@pytest.fixture(scope="module")
def warehouse(pg_server_url, _template_db, tmp_path_factory):
    gen = module_database(pg_server_url, _template_db)
    url = next(gen)
    home = tmp_path_factory.mktemp("schemas")
    rules = home / "allocation.yaml"
    rules.write_text(RULES)
    with start_simulator(model=MODEL) as sim:
        env = simulator_env(sim.url, url, home, BILLING_START_DATE=(DAY - dt.timedelta(days=30)).isoformat(),
                            BILLING_PORTAL_ALLOCATION_FILE=str(rules))
        materialize(env, DAY, DAY + dt.timedelta(days=1))
    yield url
    gen.close()


def q(url, sql, params=()):
    with psycopg.connect(url) as conn:
        return conn.execute(sql, params).fetchall()


def expected_owners() -> dict[str, Counter]:
    """Per registry: schemas per owner team (None = unowned), from the simulator's catalog."""
    out: dict[str, Counter] = {}
    for e in build_catalog(MODEL).entities:
        if e.type_name == "sr_schema":
            team = next((t[5:] for t in e.tags if t.startswith("team_")), None)
            out.setdefault(e.sr_id, Counter())[team] += 1
    return out


def test_schemas_and_their_owners_are_stored_for_the_day(warehouse):
    rows = q(warehouse, "SELECT sr_id, payer, team FROM schema_attribution WHERE usage_date = %s", (DAY,))
    got: dict[str, Counter] = {}
    for sr, payer, team in rows:
        assert (payer is None) == (team is None) and (payer is None or payer == f"team:{team}")
        got.setdefault(sr, Counter())[team] += 1
    assert got == expected_owners()


def test_governance_lines_split_by_schema_count_over_owners_to_the_cent(warehouse):
    owners = expected_owners()
    lines = q(warehouse, "SELECT line_no, resource_id, amount FROM billing_costs WHERE usage_date = %s AND line_type"
                         " IN ('SCHEMA_REGISTRY', 'GOVERNANCE_BASE')", (DAY,))
    assert lines and any(r in owners for _, r, _ in lines)
    checked = 0
    for line_no, sr, amount in lines:
        counts = owners.get(sr)
        got = dict(q(warehouse, "SELECT principal_id, sum(amount_usd) FROM hourly_cost_facts WHERE usage_date = %s"
                                " AND line_no = %s AND allocation_reason = 'schema_owner_share' GROUP BY 1",
                     (DAY, line_no)))
        total = sum(counts.values()) if counts else 0
        want = {f"team:{t}": amount * n / total for t, n in (counts or {}).items() if t}
        assert set(got) == set(want)
        for payer, value in want.items():
            assert abs(got[payer] - value) <= Decimal("0.00000025"), (sr, payer)
        (whole,) = q(warehouse, "SELECT sum(amount_usd) FROM hourly_cost_facts WHERE usage_date = %s AND line_no = %s",
                     (DAY, line_no))[0]
        assert whole == amount
        checked += bool(want)
    assert checked
    methods = q(warehouse, "SELECT DISTINCT allocation_method, confidence FROM hourly_cost_facts WHERE"
                           " allocation_reason = 'schema_owner_share'")
    assert methods == [("resource_owner", "medium")]
    # the payer carries its team in the principal view
    assert q(warehouse, "SELECT count(*) FROM hourly_cost_facts WHERE allocation_reason = 'schema_owner_share'"
                        " AND team <> substr(principal_id, 6)")[0][0] == 0
