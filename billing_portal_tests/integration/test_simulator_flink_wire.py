"""The simulator's regional Flink SQL API over HTTP (`/flink/{cloud}/{region}/sql/v1/organizations/{org}/
environments/{env}/statements[/{name}]`), against a real simulator server on a fixed clock: the statements of an
environment page with `page_size`/`page_token` and a full-URL `metadata.next`, one statement is read by name, a
deleted one vanishes, only the region's own Flink key is accepted (a Cloud key or another region's Flink key is a
401), and the bodies have the keys of the live Statement bodies recorded in
`contract/live_shapes/flink_statement/`. Last, the product's `FlinkStatementsClient` reads it end to end.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest
import requests
import yaml

from billing_portal.confluent.flink import FlinkStatementsClient, load_credentials
from billing_portal.simulator import build_model, start_simulator
from billing_portal.simulator.testing import (
    CLOUD_AUTH,
    FIXED_NOW,
    MovableClock,
    flink_credentials,
    flink_credentials_file,
    flink_endpoint,
    walk_list,
)
from billing_portal_tests.confluent_fixtures import fast_config

MODEL = build_model(42, "small")
ORG = MODEL.organization.id
RUNNING_POOL = next(p for p in MODEL.flink_pools if p.id in MODEL.flink.pools_with_statements)
IDLE_POOL = next(p for p in MODEL.flink_pools if p.id not in MODEL.flink.pools_with_statements)
CLOUD, REGION = RUNNING_POOL.cloud.lower(), RUNNING_POOL.region
KEY = flink_credentials(CLOUD, REGION)
OTHER_KEY = flink_credentials(IDLE_POOL.cloud, IDLE_POOL.region)
LISTED = MODEL.flink.listed(FIXED_NOW, env_id=RUNNING_POOL.env_id, pool_id=RUNNING_POOL.id)
LIVE_SHAPES = Path(__file__).parents[1] / "contract" / "live_shapes" / "flink_statement"
RECORDED = {p.name: json.loads(p.read_text()) for p in sorted(LIVE_SHAPES.glob("*.json"))}
RECORDED_STATEMENTS = {name: body for name, body in RECORDED.items() if body.get("kind") == "Statement"}


def statements_path(env_id: str = RUNNING_POOL.env_id, cloud: str = CLOUD, region: str = REGION,
                    org: str = ORG) -> str:
    return f"/flink/{cloud}/{region}/sql/v1/organizations/{org}/environments/{env_id}/statements"


@pytest.fixture(scope="module")
def clock():
    return MovableClock(FIXED_NOW)


@pytest.fixture(scope="module")
def sim(clock):
    with start_simulator(clock=clock, model=MODEL) as handle:
        yield handle


@pytest.fixture
def url(sim, clock):
    clock.set(FIXED_NOW)
    yield sim.url + statements_path()
    clock.set(FIXED_NOW)


def test_the_workload_has_what_these_tests_need():
    assert len(LISTED) >= 5 and len({s.name for s in LISTED}) == len(LISTED)
    assert any(s.stopped for s in LISTED) and any(s.principal.startswith("crn://") for s in LISTED)
    assert any(s.deleted_at is not None for s in LISTED)  # a churn statement, deleted later
    assert (IDLE_POOL.cloud.lower(), IDLE_POOL.region) != (CLOUD, REGION)
    assert set(RECORDED_STATEMENTS) == {n for n in RECORDED if n != "read_deleted_flink_statement.json"}


# --- listing and paging ----------------------------------------------------------------------------------------
def test_the_statements_of_an_environment_page_with_page_size_and_next(sim, url):
    with requests.Session() as s:
        pages = list(walk_list(s, url, {"page_size": 2}, auth=KEY))
    assert [len(p["data"]) for p in pages] == [2] * (len(LISTED) // 2) + ([len(LISTED) % 2] if len(LISTED) % 2
                                                                          else [])
    assert [o["name"] for p in pages for o in p["data"]] == [s.name for s in LISTED]  # no repeat, none lost
    for p in pages:
        assert (p["api_version"], p["kind"]) == ("sql/v1", "StatementList")
        assert p["metadata"]["self"].startswith(url)
    for p in pages[:-1]:  # next: a full URL on the same host and path, the page size kept, an opaque token
        nxt = p["metadata"]["next"]
        assert nxt.startswith(url + "?") and "page_size=2" in nxt and re.search(r"[?&]page_token=[^&]+", nxt)
    assert "next" not in pages[-1]["metadata"]
    # the default page (10) holds them all; the largest page is 100
    r = requests.get(url, auth=KEY, timeout=30)
    assert r.status_code == 200 and [o["name"] for o in r.json()["data"]] == [s.name for s in LISTED]
    assert "next" not in r.json()["metadata"]
    assert requests.get(url, params={"page_size": 100}, auth=KEY, timeout=30).status_code == 200


@pytest.mark.parametrize("size", ["0", "101", "ten"])
def test_a_bad_page_size_is_a_400(url, size):
    r = requests.get(url, params={"page_size": size}, auth=KEY, timeout=30)
    assert r.status_code == 400
    (err,) = r.json()["errors"]
    assert err["status"] == "400" and err["source"] == {"parameter": "page_size"}


def test_a_page_token_belongs_to_its_query(url):
    nxt = requests.get(url, params={"page_size": 2}, auth=KEY, timeout=30).json()["metadata"]["next"]
    assert requests.get(nxt, auth=KEY, timeout=30).status_code == 200
    token = re.search(r"page_token=([^&]+)", nxt).group(1)
    for params in ({"page_size": 2, "page_token": token, "spec.compute_pool_id": RUNNING_POOL.id},
                   {"page_size": 2, "page_token": token + "x"}):
        r = requests.get(url, params=params, auth=KEY, timeout=30)
        assert r.status_code == 400 and r.json()["errors"][0]["code"] == "invalid_page_token", params


def test_the_compute_pool_filter_and_the_region_scope(sim, url):
    def names(u, params=None, auth=KEY):
        r = requests.get(u, params=params, auth=auth, timeout=30)
        assert r.status_code == 200, r.text
        return [o["name"] for o in r.json()["data"]]

    assert names(url, {"spec.compute_pool_id": RUNNING_POOL.id}) == [s.name for s in LISTED]
    assert names(url, {"spec.compute_pool_id": IDLE_POOL.id}) == []
    assert names(url, {"spec.compute_pool_id": "lfcp-nope"}) == []
    # another region's host lists only that region's pools (none of this environment there)
    other_region = statements_path(cloud=IDLE_POOL.cloud.lower(), region=IDLE_POOL.region)
    assert names(sim.url + other_region, auth=OTHER_KEY) == []
    # the pool without statements: an empty list in its own environment and region, no next
    idle = statements_path(IDLE_POOL.env_id, IDLE_POOL.cloud.lower(), IDLE_POOL.region)
    r = requests.get(sim.url + idle, auth=OTHER_KEY, timeout=30)
    assert r.status_code == 200 and r.json()["data"] == [] and "next" not in r.json()["metadata"]
    # another organization's path
    r = requests.get(sim.url + statements_path(org="00000000-0000-0000-0000-000000000000"), auth=KEY, timeout=30)
    assert r.status_code == 404 and r.json()["errors"][0]["status"] == "404"


# --- one statement -----------------------------------------------------------------------------------------------
def test_get_one_statement_by_name_is_its_list_item(url):
    listed = {o["name"]: o for o in requests.get(url, auth=KEY, timeout=30).json()["data"]}
    for s in LISTED:
        r = requests.get(f"{url}/{s.name}", auth=KEY, timeout=30)
        assert r.status_code == 200
        body = r.json()
        assert body == listed[s.name]
        assert body["metadata"]["self"] == f"{url}/{s.name}"
        assert (body["spec"]["compute_pool_id"], body["spec"]["principal"], body["spec"]["stopped"]) == (
            s.compute_pool_id, s.principal, s.stopped)
        assert body["status"]["phase"] == ("STOPPED" if s.stopped else "RUNNING")


def test_a_deleted_statement_vanishes_and_an_unknown_name_is_a_404(url, clock):
    gone = next(s for s in LISTED if s.deleted_at is not None)
    clock.set(gone.deleted_at + timedelta(minutes=1))
    r = requests.get(f"{url}/{gone.name}", auth=KEY, timeout=30)
    assert r.status_code == 404
    (err,) = r.json()["errors"]
    (recorded,) = RECORDED["read_deleted_flink_statement.json"]["errors"]
    assert set(recorded) <= set(err) and err["status"] == recorded["status"] == "404"  # the live 404's keys
    assert gone.name in err["detail"]
    names = [o["name"] for o in requests.get(url, auth=KEY, timeout=30).json()["data"]]
    assert gone.name not in names and names  # the others are still listed
    clock.set(FIXED_NOW)
    assert requests.get(f"{url}/{gone.name}", auth=KEY, timeout=30).status_code == 200
    assert requests.get(f"{url}/no-such-statement", auth=KEY, timeout=30).status_code == 404


# --- auth -------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("auth", "detail"), [
    (None, "Missing API Key"),
    (CLOUD_AUTH, "Invalid API Key or Secret"),       # the Cloud key is not a Flink key
    (OTHER_KEY, "Invalid API Key or Secret"),        # a Flink key of another region
    ((KEY[0], "wrong"), "Invalid API Key or Secret"),
])
def test_only_the_regions_flink_key_opens_its_statements(url, auth, detail):
    for u in (url, f"{url}/{LISTED[0].name}"):
        r = requests.get(u, auth=auth, timeout=30)
        assert r.status_code == 401, u
        assert r.headers["WWW-Authenticate"].startswith('Basic error="invalid_key"')
        (err,) = r.json()["errors"]
        assert (err["status"], err["detail"]) == ("401", detail)
    assert requests.get(url, auth=KEY, timeout=30).status_code == 200


def test_a_flink_key_is_not_a_cloud_key(sim):
    assert requests.get(sim.url + "/org/v2/environments", auth=KEY, timeout=30).status_code == 401
    assert requests.get(sim.url + "/org/v2/environments", auth=CLOUD_AUTH, timeout=30).status_code == 200


# --- body shapes against the recorded live bodies ---------------------------------------------------------------
def _keys_of(bodies, part=None) -> set[frozenset]:
    return {frozenset(b[part] if part else b) for b in bodies}


def test_bodies_have_the_keys_of_the_recorded_live_statements(url):
    bodies = requests.get(url, auth=KEY, timeout=30).json()["data"]
    recorded = list(RECORDED_STATEMENTS.values())
    # the recordings agree with each other on the top level, metadata and spec; the simulator answers exactly those
    for part in (None, "metadata", "spec"):
        (live,) = _keys_of(recorded, part)
        assert _keys_of(bodies, part) == {live}, part
    # status: the keys of the recorded body in the same phase, but for `result_schema` (the columns a query
    # returns), which the simulator does not model and the product never reads
    by_phase: dict[str, set[frozenset]] = {}
    for b in recorded:
        by_phase.setdefault(b["status"]["phase"], set()).add(frozenset(b["status"]))
    assert {"RUNNING", "STOPPED"} <= {b["status"]["phase"] for b in bodies}
    for b in bodies:
        (live,) = by_phase[b["status"]["phase"]]
        assert set(b["status"]) == live - {"result_schema"}, b["name"]
        assert "result_schema" in live
    # the same JSON types as recorded, value by value
    ref = RECORDED_STATEMENTS["read_running_flink_statement.json"]
    for b in bodies:
        for part in ("metadata", "spec", "status"):
            for k, v in b[part].items():
                assert type(v) is type(ref[part][k]), (part, k)
        assert {type(k) for k in b["spec"]["properties"]} | {type(v) for v in b["spec"]["properties"].values()} \
            == {str}
        for k in ("created_at", "updated_at"):  # second precision and Z, as recorded
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", b["metadata"][k]), b["metadata"][k]
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", ref["metadata"][k])
        assert b["metadata"]["self"] == f"{url}/{b['name']}"
        assert b["spec"]["stopped"] is (b["status"]["phase"] == "STOPPED")  # as in every recording
        assert (b["api_version"], b["kind"], b["organization_id"], b["environment_id"]) == (
            "sql/v1", "Statement", ORG, RUNNING_POOL.env_id)
    for b in recorded:
        assert b["spec"]["stopped"] is (b["status"]["phase"] == "STOPPED")


# --- the product's client on the simulator ----------------------------------------------------------------------
def pools_frame() -> pd.DataFrame:
    return pd.DataFrame([{"pool_id": p.id, "env_id": p.env_id, "cloud": p.cloud, "region": p.region}
                         for p in MODEL.flink_pools])


def test_the_product_client_reads_every_region_with_its_key(sim, clock, tmp_path):
    clock.set(FIXED_NOW)
    path = tmp_path / "flink.yaml"
    path.write_text(yaml.safe_dump(flink_credentials_file(MODEL)))
    client = FlinkStatementsClient(endpoint_template=flink_endpoint(sim.url), keys=load_credentials(path),
                                   config=fast_config())
    snap = client.fetch_snapshot(pools_frame(), ORG)
    assert snap.skipped == [] and snap.quarantine.empty
    rows = {r["statement_name"]: r for r in snap.statements.to_dict("records")}
    assert set(rows) == {s.name for s in LISTED}
    for s in LISTED:
        r = rows[s.name]
        assert (r["compute_pool_id"], r["principal"], r["principal_id"], r["stopped"], r["env_id"]) == (
            s.compute_pool_id, s.principal, s.principal_id, s.stopped, s.env_id)
        assert r["scope"] == f"{s.env_id}/{CLOUD}.{REGION}"
    crn = next(s for s in LISTED if s.principal.startswith("crn://"))
    assert rows[crn.name]["principal_id"] == crn.principal_id and crn.principal_id.startswith("pool-")
    assert snap.stats["listings"] == len(MODEL.flink_pools) and snap.stats["without_principal"] == 0


def test_the_product_client_skips_a_region_whose_key_is_the_cloud_key(sim, clock, tmp_path):
    clock.set(FIXED_NOW)
    keys = flink_credentials_file(MODEL)
    keys[f"{CLOUD}.{REGION}"] = {"api_key": CLOUD_AUTH[0], "api_secret": CLOUD_AUTH[1]}
    path = tmp_path / "flink.yaml"
    path.write_text(yaml.safe_dump(keys))
    client = FlinkStatementsClient(endpoint_template=flink_endpoint(sim.url), keys=load_credentials(path),
                                   config=fast_config())
    snap = client.fetch_snapshot(pools_frame(), ORG)
    (skip,) = snap.skipped
    assert (skip["scope"], skip["region"]) == (f"{RUNNING_POOL.env_id}/{CLOUD}.{REGION}", f"{CLOUD}.{REGION}")
    assert skip["reason"].startswith("401: ") and "FlinkDeveloper" in skip["reason"]
    assert CLOUD_AUTH[1] not in skip["reason"]
    assert snap.statements.empty  # the other region was read: its pool runs no statements
    assert snap.stats["listings"] == 2
