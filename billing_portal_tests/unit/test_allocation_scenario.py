"""The hand-computed scenario (billing_portal_tests/scenarios/hand_computed_day): Confluent wire-format JSON parsed by
a tiny local parser (independent of billing_portal.confluent), allocated, and checked against expected.json, which
was computed by hand (see the scenario's README)."""

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from billing_portal.allocation import AllocationConfig, DayInputs, allocate_day, compute_confidence, reconcile
from billing_portal.money import from_units, to_decimal, to_units
from billing_portal.ownership import CatalogData, CoreObjects, load_mapping, resolve_attribution

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "hand_computed_day"
CENT = Decimal("0.01")


# ----------------------------------------------------------------------------------------------- tiny parser
def read(name: str):
    return json.loads((SCENARIO / name).read_text())


def responses(prefix: str) -> list[tuple[dict, object]]:
    """(request, body) of every recorded response whose file starts with `prefix`."""
    index = read("requests.json")["responses"]
    return [(r, read(r["file"])) for r in index if r["file"].startswith(prefix)]


def data(prefix: str) -> list[dict]:
    return [obj for _, body in responses(prefix) for obj in body["data"]]


def env_of(spec: dict) -> str | None:
    return (spec.get("environment") or {}).get("id")


def parse_objects() -> CoreObjects:
    connectors = []
    for req, body in responses("connect_"):
        parts = req["path"].split("/")  # /connect/v1/environments/{env}/clusters/{lkc}/connectors
        env, lkc = parts[4], parts[6]
        for name, c in body.items():
            cfg = c["info"]["config"]
            connectors.append({"connector_id": c["id"]["id"], "connector_name": name, "env_id": env, "cluster_id": lkc,
                               "connector_type": c["info"]["type"], "connector_class": cfg.get("connector.class"),
                               "auth_mode": cfg.get("kafka.auth.mode"),
                               "service_account_id": cfg.get("kafka.service.account.id"),
                               "api_key": cfg.get("kafka.api.key"), "tasks_max": int(cfg.get("tasks.max", 1)),
                               "state": c["status"]["connector"]["state"]})
    return CoreObjects(
        organizations=pd.DataFrame([{"org_id": o["id"], "display_name": o["display_name"]}
                                    for o in data("org_organizations")]),
        environments=pd.DataFrame([{"env_id": e["id"], "display_name": e["display_name"],
                                    "stream_governance_package": e["stream_governance_config"]["package"]}
                                   for e in data("org_environments")]),
        kafka_clusters=pd.DataFrame([{"cluster_id": c["id"], "env_id": env_of(c["spec"]),
                                      "display_name": c["spec"]["display_name"],
                                      "cluster_kind": c["spec"]["config"]["kind"],
                                      "cku": c["spec"]["config"].get("cku")} for c in data("cmk_clusters")]),
        service_accounts=pd.DataFrame([{"principal_id": s["id"], "display_name": s["display_name"],
                                        "description": s["description"]} for s in data("iam_service_accounts")]),
        users=pd.DataFrame([{"principal_id": u["id"], "email": u["email"], "full_name": u["full_name"]}
                            for u in data("iam_users")]),
        api_keys=pd.DataFrame([{"key_id": k["id"], "display_name": k["spec"]["display_name"],
                                "owner_id": k["spec"]["owner"]["id"], "owner_kind": k["spec"]["owner"]["kind"],
                                "resource_id": k["spec"]["resource"]["id"],
                                "resource_kind": k["spec"]["resource"]["kind"]} for k in data("iam_api_keys")]),
        connectors=pd.DataFrame(connectors),
        ksqldb_clusters=pd.DataFrame([{"ksqldb_id": k["id"], "display_name": k["spec"]["display_name"],
                                       "env_id": env_of(k["spec"]), "kafka_cluster_id": k["spec"]["kafka_cluster"]["id"],
                                       "credential_identity_id": k["spec"]["credential_identity"]["id"],
                                       "csu": k["spec"]["csu"]} for k in data("ksqldbcm_clusters")]),
        flink_compute_pools=pd.DataFrame([{"pool_id": p["id"], "display_name": p["spec"]["display_name"],
                                           "env_id": env_of(p["spec"]), "max_cfu": p["spec"]["max_cfu"]}
                                          for p in data("fcpm_compute_pools")]),
        schema_registries=pd.DataFrame([{"sr_id": s["id"], "display_name": s["spec"]["display_name"],
                                         "env_id": env_of(s["spec"])} for s in data("srcm_clusters")]),
    )


def parse_lines(day: dt.date, org_id: str) -> pd.DataFrame:
    rows = []
    for c in data("billing_costs"):
        resource = c.get("resource") or {}
        amount = to_decimal(c["amount"])  # a JSON double → the Decimal it spelled
        rows.append({"usage_date": day, "line_no": len(rows), "org_id": org_id,
                     "env_id": (resource.get("environment") or {}).get("id"), "resource_id": resource.get("id"),
                     "resource_name": resource.get("display_name"), "product": c["product"],
                     "line_type": c["line_type"], "price": c.get("price"), "amount": amount,
                     "amount_units": to_units(amount)})
    return pd.DataFrame(rows)


def parse_usage() -> pd.DataFrame:
    points = {}
    for req, body in responses("metrics_"):
        metric = req["body"]["aggregations"][0]["metric"].rsplit("/", 1)[1]
        cluster = req["body"]["filter"]["filters"][0]["value"]
        for p in body["data"]:
            key = (pd.Timestamp(p["timestamp"]), cluster, p["metric.principal_id"])
            points.setdefault(key, {"request_bytes": 0.0, "response_bytes": 0.0})[metric] += float(p["value"])
    return pd.DataFrame([{"hour": h, "cluster_id": c, "principal_id": pr, **v} for (h, c, pr), v in points.items()])


def parse_catalog() -> CatalogData:
    entities = [{"entity_type": e["typeName"], "qualified_name": e["attributes"]["qualifiedName"],
                 "name": e["attributes"].get("name"), "owner": e["attributes"].get("owner"),
                 "owner_email": e["attributes"].get("ownerEmail"), "classification_names": e["classificationNames"]}
                for _, body in responses("catalog_search") for e in body["entities"]]
    tags = [{"entity_type": t["entityType"], "qualified_name": t["entityName"], "tag": t["typeName"],
             "attributes": t.get("attributes")} for _, body in responses("catalog_tags") for t in body]
    bms = [{"entity_type": b["entityType"], "qualified_name": b["entityName"], "bm_type": b["typeName"],
            "attributes": b["attributes"]} for _, body in responses("catalog_businessmetadata") for b in body]
    return CatalogData(entities=pd.DataFrame(entities), tags=pd.DataFrame(tags),
                       business_metadata=pd.DataFrame(bms) if bms else None)


# -------------------------------------------------------------------------------------------------- the test
@pytest.fixture(scope="module")
def expected() -> dict:
    return read("expected.json")


@pytest.fixture(scope="module")
def run(expected):
    day = dt.date.fromisoformat(expected["usage_date"])
    objects, usage = parse_objects(), parse_usage()
    principals, resources = resolve_attribution(objects, parse_catalog(), load_mapping(SCENARIO / "mapping.yaml"),
                                                usage)
    lines = parse_lines(day, expected["org_id"])
    inputs = DayInputs(usage_date=day, org_id=expected["org_id"], lines=lines, usage=usage, objects=objects,
                       principals=principals, resources=resources)
    return lines, allocate_day(inputs, AllocationConfig())


def usd(units) -> Decimal:
    return from_units(int(units)).quantize(CENT)


def test_day_total_and_reconciliation(run, expected):
    lines, result = run
    assert len(lines) == expected["bill_lines"]
    assert usd(result.facts["amount_units"].sum()) == Decimal(expected["day_total_usd"])
    assert usd(lines["amount_units"].sum()) == Decimal(expected["day_total_usd"])
    assert reconcile(lines, result.facts).ok


def test_per_principal_and_line_type_to_the_cent(run, expected):
    facts = run[1].facts
    got = facts.groupby(["principal_id", "line_type"])["amount_units"].sum()
    want = {(e["principal_id"], e["line_type"]): Decimal(e["amount_usd"]) for e in expected["by_principal_line_type"]}
    assert {k: usd(v) for k, v in got.items()} == want


def test_method_reason_confidence_per_principal_and_line_type(run, expected):
    facts = run[1].facts
    for e in expected["by_principal_line_type"]:
        rows = facts[(facts["principal_id"] == e["principal_id"]) & (facts["line_type"] == e["line_type"])]
        key = (e["principal_id"], e["line_type"])
        assert set(rows["allocation_method"]) == {e["method"]}, key
        assert set(rows["allocation_reason"]) == {e["reason"]}, key
        assert set(rows["confidence"]) == {e["confidence"]}, key


def test_per_principal_and_team(run, expected):
    facts = run[1].facts
    assert {k: usd(v) for k, v in facts.groupby("principal_id")["amount_units"].sum().items()} == \
        {k: Decimal(v) for k, v in expected["by_principal"].items()}
    assert {k: usd(v) for k, v in facts.groupby("team")["amount_units"].sum().items()} == \
        {k: Decimal(v) for k, v in expected["by_team"].items()}


def test_confidence_and_coverage(run, expected):
    total = compute_confidence(run[1].facts).query("scope_type == 'total'").iloc[0]
    for level, amount in expected["by_confidence"].items():
        assert total[f"{level}_usd"].quantize(CENT) == Decimal(amount), level
    for bucket, amount in expected["by_coverage"].items():
        assert total[f"{bucket}_usd"].quantize(CENT) == Decimal(amount), bucket


def test_hours(run, expected):
    facts = run[1].facts
    for resource, per_line_type in expected["hourly_by_resource_line_type"].items():
        for line_type, hours in per_line_type.items():
            rows = facts[(facts["resource_id"] == resource) & (facts["line_type"] == line_type)]
            got = {f"{h:02d}": usd(v) for h, v in rows.groupby(rows["hour"].dt.hour)["amount_units"].sum().items()}
            assert got == {h: Decimal(v) for h, v in hours.items()}, (resource, line_type)
    capacity = facts[facts["line_type"] == "KAFKA_NUM_CKUS"]
    assert capacity["hour"].dt.hour.nunique() == 24


def test_bare_cluster_qualified_name_never_attaches(run):
    facts = run[1].facts
    assert "ghost" not in set(facts["team"])
    idle = facts[facts["resource_id"] == "lkc-idle03"]
    assert set(idle["owner"]) == {"carol"}
