"""Core objects that cannot be used (no id) are not dropped: the observation keeps them in `quarantine_rows` with
the raw payload and reason, under the day it was made for; a rerun of that day reuses the observation (objects are
observed at most once a day) and neither duplicates nor loses them."""

from __future__ import annotations

import datetime as dt
import json
import shutil

import psycopg

from billing_portal_tests.integration.test_scenario_end_to_end import SCENARIO
from billing_portal_tests.pipeline import materialize, simulator_env
from billing_portal_tests.scenarios.replay import ReplayServer


def test_object_without_id_is_quarantined_once_per_day(database_url, tmp_path):
    scenario = tmp_path / "scenario"
    shutil.copytree(SCENARIO, scenario)
    accounts = json.loads((scenario / "iam_service_accounts.json").read_text())
    ghost = {"api_version": "iam/v2", "kind": "ServiceAccount", "display_name": "ghost-without-id",
             "description": "Owner: nobody@acme.com"}
    accounts["data"].append(ghost)
    (scenario / "iam_service_accounts.json").write_text(json.dumps(accounts))
    day = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=5)
    server = ReplayServer(scenario, day=day)
    try:
        env = simulator_env(server.url, database_url, tmp_path / "home", BILLING_START_DATE=day.isoformat(),
                            BILLING_PORTAL_NOW=f"{day + dt.timedelta(days=1)}T06:00:00Z")
        out = materialize(env, day, day + dt.timedelta(days=1)).stdout
        assert "quarantined=1" in out
        out = materialize(env, day, day + dt.timedelta(days=1)).stdout
        assert "objects not collected: observed today already" in out
    finally:
        server.stop()
    with psycopg.connect(database_url) as conn:
        rows = conn.execute("SELECT usage_date, reason, raw FROM quarantine_rows WHERE source = 'objects'").fetchall()
        accounts_kept = conn.execute("SELECT count(*) FROM service_accounts WHERE snapshot_date = %s",
                                     (day,)).fetchone()[0]
    assert len(rows) == 1
    assert rows[0][0] == day
    assert "service_accounts" in rows[0][1]
    assert json.loads(rows[0][2])["display_name"] == "ghost-without-id"
    assert accounts_kept == 6
