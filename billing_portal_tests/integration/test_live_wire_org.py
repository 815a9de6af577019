"""Against a live-flavoured org: one Schema Registry per environment with its own key, and a locked-down key.

- With every registry's key in SCHEMA_REGISTRY_CREDENTIALS_FILE, every environment's catalog is read (tags from the
  search results, business metadata only where defined) and an owner named in another environment's catalog gets
  that environment's resources; with the single SCHEMA_REGISTRY_URL/_KEY only its registry is read, and the others
  are skipped and reported, never a failed run.
- A Cloud key denied one environment still produces a complete day for the others; the skipped scope (with the role
  the key lacks) is visible, and that environment's objects keep their history.
"""

from __future__ import annotations

import datetime as dt
import json

import psycopg
import pytest
import yaml

from billing_portal.simulator import build_model, start_simulator
from billing_portal.simulator.testing import MovableClock, sr_credentials
from billing_portal_tests.pipeline import materialize, newest_billed_day, simulator_env

MODEL = build_model(42, "small")
DAY = newest_billed_day()
NOW = dt.datetime.combine(DAY + dt.timedelta(days=4), dt.time(2, 0), tzinfo=dt.UTC)


def catalog_owned(model):
    """A cluster outside the first environment whose catalog entity carries team evidence, and that team."""
    for c in model.kafka_clusters:
        if c.env_id == model.environments[0].id:
            continue
        info = model.cluster_catalog[c.id]
        sr = model.schema_registry_by_env[c.env_id]
        team = (info.business_metadata or {}).get("team") if sr.package == "ADVANCED" else None
        team = team or next((t.removeprefix("team_") for t in info.tags if t.startswith("team_")), None)
        if team:
            return c, team
    raise AssertionError("the model has no tagged cluster outside the first environment")


@pytest.fixture(scope="module")
def runs(tmp_path_factory, pg_server_url, _template_db):
    from billing_portal_tests.factories import module_database

    out = {}
    for label in ("every registry", "single key", "locked down", "one wrong key"):
        gen = module_database(pg_server_url, _template_db)
        url = next(gen)
        denied = MODEL.environments[2].id
        keys = ("K2:S2:" + denied,) if label == "locked down" else ()
        with start_simulator(clock=MovableClock(NOW), model=MODEL, restricted_keys=keys) as sim:
            home = tmp_path_factory.mktemp(label.replace(" ", "_"))
            env = simulator_env(sim.url, url, home, BILLING_PORTAL_NOW=NOW.isoformat())
            if label == "single key":
                env.pop("SCHEMA_REGISTRY_CREDENTIALS_FILE")
                env.update(SCHEMA_REGISTRY_URL=sim.url, SCHEMA_REGISTRY_API_KEY="SIMSRKEY",
                           SCHEMA_REGISTRY_API_SECRET="SIMSRSECRET")
            if label == "locked down":
                env.update(CCLOUD_API_KEY="K2", CCLOUD_API_SECRET="S2")
            if label == "one wrong key":
                keys_file = home / "schema-registry-keys.yaml"
                doc = yaml.safe_load(keys_file.read_text())
                doc[MODEL.schema_registries[1].id]["api_secret"] = "not-the-secret"
                keys_file.write_text(yaml.safe_dump(doc))
            proc = materialize(env, DAY, DAY + dt.timedelta(days=1))
            sim_requests = [p for _, p, _ in sim.requests]
        out[label] = {"url": url, "stdout": proc.stdout + proc.stderr, "requests": sim_requests, "gen": gen,
                      "denied": denied}
    yield out
    for r in out.values():
        r["gen"].close()


def q(url: str, sql: str, params=()) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(sql, params).fetchall()


def test_every_environments_catalog_with_its_own_key(runs):
    r = runs["every registry"]
    registries = {s.id for s in MODEL.schema_registries}
    crawled = {row[0] for row in q(r["url"], "SELECT DISTINCT sr_id FROM catalog_entities")}
    assert crawled == registries
    # each catalog was read at its own endpoint; tags came inline (no per-entity tag reads)
    assert {p.split("/")[2] for p in r["requests"] if p.startswith("/catalog-sr/")} == registries
    assert not [p for p in r["requests"] if p.endswith("/tags") or "/tags?" in p]
    # business metadata is read only where the registry defines it (ADVANCED), never on an ESSENTIALS registry
    essentials = {s.id for s in MODEL.schema_registries if s.package != "ADVANCED"}
    bm_reads = [p for p in r["requests"] if "/businessmetadata" in p and "/types/" not in p]
    assert bm_reads and not [p for p in bm_reads if p.split("/")[2] in essentials]
    cluster, team = catalog_owned(MODEL)
    (source, got), = q(r["url"], "SELECT attribution_source, team FROM resource_attribution WHERE resource_id = %s",
                       (cluster.id,))
    assert (source, got) == ("catalog", team)
    # the environment's cost that lands on the cluster's owner tier carries the catalog's team
    facts = q(r["url"], "SELECT DISTINCT team FROM hourly_cost_facts WHERE resource_id = %s"
                        " AND allocation_method = 'resource_owner'", (cluster.id,))
    assert all(t == team for (t,) in facts)
    (skipped,) = q(r["url"], "SELECT skipped FROM observations WHERE source = 'catalog'")[0]
    assert skipped["detail"] == []


def test_a_single_key_reads_its_registry_and_reports_the_others(runs):
    r = runs["single key"]
    first = MODEL.schema_registries[0].id
    assert {row[0] for row in q(r["url"], "SELECT DISTINCT sr_id FROM catalog_entities")} == {first}
    (skipped,) = q(r["url"], "SELECT skipped FROM observations WHERE source = 'catalog'")[0]
    assert sorted(d["sr_id"] for d in skipped["detail"]) == sorted(s.id for s in MODEL.schema_registries[1:])
    assert all("SCHEMA_REGISTRY_CREDENTIALS_FILE" in d["reason"] for d in skipped["detail"])
    cluster, _ = catalog_owned(MODEL)
    (source,), = q(r["url"], "SELECT attribution_source FROM resource_attribution WHERE resource_id = %s",
                   (cluster.id,))
    assert source != "catalog"
    assert "SIMSRSECRET" not in r["stdout"]


def test_a_key_denied_one_environment_still_allocates_the_others(runs):
    r, full = runs["locked down"], runs["every registry"]
    denied = r["denied"]
    denied_clusters = {c.id for c in MODEL.kafka_clusters if c.env_id == denied}
    # the run succeeded, the scope is visible with the role the key lacks
    reasons = [row[0] for row in q(r["url"], "SELECT reason FROM quarantine_rows WHERE source = 'objects'")]
    assert any(denied in x and "EnvironmentAdmin" in x for x in reasons), reasons
    (skipped,) = q(r["url"], "SELECT skipped FROM observations WHERE source = 'objects'")[0]
    assert {d["env_id"] for d in skipped["detail"]} == {denied}
    # the other environments' day is exactly the full key's day
    others = ("SELECT principal_id, line_type, allocation_reason, sum(amount_usd) FROM hourly_cost_facts"
              " WHERE NOT (coalesce(cluster_id, '') = ANY(%s)) AND env_id IS DISTINCT FROM %s GROUP BY 1, 2, 3")
    assert sorted(q(r["url"], others, (list(denied_clusters), denied))) == sorted(
        q(full["url"], others, (list(denied_clusters), denied)))
    # the denied environment's lines are still all billed and allocated (reconciled), by fallback
    billed = q(r["url"], "SELECT sum(amount) FROM billing_costs")[0][0]
    assert billed == q(r["url"], "SELECT sum(amount_usd) FROM hourly_cost_facts")[0][0]
    net = q(r["url"], "SELECT DISTINCT allocation_reason FROM hourly_cost_facts WHERE cluster_id = ANY(%s)"
                      " AND line_type LIKE 'KAFKA_NETWORK%%'", (list(denied_clusters),))
    assert net and ("network_bytes_share",) not in net
    # metrics of those clusters were answered 403 and skipped, the others captured
    captured = {row[0] for row in q(r["url"], "SELECT cluster_id FROM usage_capture")}
    assert not captured & denied_clusters and captured


def test_the_credentials_file_is_validated_in_one_line(tmp_path, database_url):
    bad = tmp_path / "keys.yaml"
    bad.write_text(yaml.safe_dump({"lkc-123": {"api_key": "x", "api_secret": "y"}}))
    with start_simulator(clock=MovableClock(NOW), model=MODEL) as sim:
        env = simulator_env(sim.url, database_url, tmp_path / "home", BILLING_PORTAL_NOW=NOW.isoformat(),
                            SCHEMA_REGISTRY_CREDENTIALS_FILE=str(bad))
        proc = materialize(env, DAY, DAY + dt.timedelta(days=1), check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0 and "Traceback" not in out
    errors = [ln for ln in out.splitlines() if ln.startswith("error:")]
    assert len(errors) == 1 and "'lkc-123' is not a Schema Registry id" in errors[0], out[-2000:]
    wrong = sr_credentials(MODEL.schema_registries[1].id)
    assert json.dumps(wrong) not in out


def test_a_registry_refusing_its_key_is_skipped_not_fatal(runs):
    r = runs["one wrong key"]
    bad = MODEL.schema_registries[1].id
    crawled = {row[0] for row in q(r["url"], "SELECT DISTINCT sr_id FROM catalog_entities")}
    assert crawled == {s.id for s in MODEL.schema_registries} - {bad}
    (skipped,) = q(r["url"], "SELECT skipped FROM observations WHERE source = 'catalog'")[0]
    assert [(d["sr_id"], d["reason"][:3]) for d in skipped["detail"]] == [(bad, "401")]
    assert skipped["sr_id"] == [bad]
    assert "not-the-secret" not in r["stdout"]
