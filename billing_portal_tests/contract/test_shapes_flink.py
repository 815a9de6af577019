"""Contract (unit): the Flink statements parsers (`billing_portal.confluent.flink`) on the recorded live Statement
bodies in `live_shapes/flink_statement/`, without HTTP.

What the recordings pin down: a Statement (`sql/v1`) carries `name`, `environment_id` and `organization_id` at the
top level, `spec{compute_pool_id, principal, stopped, statement, properties}`, `status{phase, detail, …}` and
`metadata{uid, self, created_at, …}`; its phase moves PENDING → RUNNING → STOPPED → (resumed) RUNNING → DELETING,
and a resumed statement may sit on another pool and run as another principal. The region string the listings are
planned with is the recorded Flink API key's resource id (`aws.us-east-1`). Over HTTP: `test_wire_flink.py`.
"""

from __future__ import annotations

import pandas as pd
import pytest
import yaml

from billing_portal.confluent.flink import (
    STATEMENT_COLUMNS,
    FlinkStatementsClient,
    Listing,
    load_credentials,
    parse_statement,
    plan_listings,
    principal_id_of,
    region_of,
)
from billing_portal.confluent.objects import TABLES
from billing_portal.errors import ConfigError
from billing_portal_tests.contract.shapes import (
    RECORDED_API_KEYS,
    RECORDED_FLINK_ENV,
    RECORDED_FLINK_HOST,
    RECORDED_ORG,
    RECORDED_STATEMENTS,
    shape,
)

NAME = "workspace-2023-11-15-030109-0408d52d-eaff-4d50-a246-f822a29f2eb9"
UID = "8b9c49bb-7351-416d-98d5-d5f29f6de980"
CTX = {"env_id": "env-asked", "pool_id": "lfcp-asked", "scope": "env-asked/aws.us-east-1"}


@pytest.mark.parametrize(("rel", "pool", "principal", "phase", "stopped"), [
    ("flink_statement/create_flink_statement.json", "lfcp-x7rgx1", "u-yo9j87", "PENDING", False),
    ("flink_statement/read_pending_flink_statement.json", "lfcp-x7rgx1", "u-yo9j87", "PENDING", False),
    ("flink_statement/read_running_flink_statement.json", "lfcp-x7rgx1", "u-yo9j87", "RUNNING", False),
    ("flink_statement/read_stopped_flink_statement.json", "lfcp-x7rgx1", "u-yo9j87", "STOPPED", True),
    ("flink_statement/read_resuming_flink_statement.json", "lfcp-x7rgx2", "sa-yo9j87", "PENDING", False),
    ("flink_statement/read_resumed_flink_statement.json", "lfcp-x7rgx2", "sa-yo9j87", "RUNNING", False),
    ("flink_statement/read_deleting_flink_statement.json", "lfcp-x7rgx1", "u-yo9j87", "DELETING", False),
])
def test_parse_statement_on_each_recorded_body(rel, pool, principal, phase, stopped):
    body = shape(rel)
    row = parse_statement(body, CTX)
    # the environment and pool the body names win over the ones the listing asked for; the scope is the listing's
    assert row == {"env_id": RECORDED_FLINK_ENV, "statement_name": NAME, "compute_pool_id": pool,
                   "principal_id": principal, "principal": principal, "phase": phase, "stopped": stopped,
                   "uid": UID, "scope": CTX["scope"]}
    assert set(row) == set(STATEMENT_COLUMNS) - {"raw"}
    # exactly what the body says, not a normalised spelling of it
    assert (row["statement_name"], row["compute_pool_id"], row["principal"], row["phase"], row["stopped"]) == (
        body["name"], body["spec"]["compute_pool_id"], body["spec"]["principal"], body["status"]["phase"],
        body["spec"]["stopped"])
    assert RECORDED_STATEMENTS[rel] == phase
    assert type(row["stopped"]) is bool  # a real boolean, not the JSON text or a number


def test_every_recorded_statement_is_the_same_statement_in_another_phase():
    bodies = {rel: shape(rel) for rel in RECORDED_STATEMENTS}
    assert {(b["name"], b["environment_id"], b["organization_id"], b["metadata"]["uid"]) for b in bodies.values()} \
        == {(NAME, RECORDED_FLINK_ENV, RECORDED_ORG, UID)}
    for b in bodies.values():
        assert b["api_version"] == "sql/v1" and b["kind"] == "Statement"
        assert b["metadata"]["self"] == (f"{RECORDED_FLINK_HOST}/sql/v1/organizations/{RECORDED_ORG}/environments/"
                                         f"{RECORDED_FLINK_ENV}/statements/{NAME}")
        # spec.stopped is the request to stop; only the STOPPED recording carries it
        assert b["spec"]["stopped"] is (b["status"]["phase"] == "STOPPED")
    # the created statement and the pending read are the same bytes; they parse the same
    assert parse_statement(bodies["flink_statement/create_flink_statement.json"], CTX) == parse_statement(
        bodies["flink_statement/read_pending_flink_statement.json"], CTX)


def test_the_request_context_fills_in_what_a_body_leaves_out():
    body = shape("flink_statement/read_running_flink_statement.json")
    del body["environment_id"]
    del body["spec"]["compute_pool_id"]
    row = parse_statement(body, CTX)
    assert (row["env_id"], row["compute_pool_id"], row["statement_name"]) == ("env-asked", "lfcp-asked", NAME)


def test_the_404_of_a_deleted_statement_is_no_statement():
    body = shape("flink_statement/read_deleted_flink_statement.json")
    (err,) = body["errors"]
    assert err == {"status": "404", "source": {},
                   "detail": f"Statement resource={NAME} does not exist"}  # no `code`, `id` or `title`
    row = parse_statement(body, CTX)  # what fetch_snapshot would quarantine as missing_id, not crash on
    assert row["statement_name"] is None and row["principal_id"] is None and row["phase"] is None


@pytest.mark.parametrize(("principal", "principal_id"), [
    ("u-yo9j87", "u-yo9j87"),     # the recorded user principal
    ("sa-yo9j87", "sa-yo9j87"),   # the recorded service-account principal (resumed statement)
    ("  sa-yo9j87 ", "sa-yo9j87"),
    # CRNs as recorded elsewhere in live_shapes: the Flink key's owner, and the identity pool principal form
    ("crn://api.confluent.cloud/organization=foo/service-account=sa-12mgdv", "sa-12mgdv"),
    (f"crn://confluent.cloud/organization={RECORDED_ORG}/identity-pool=pool-AzXR", "pool-AzXR"),
    ("pool-AzXR", "pool-AzXR"),
    # a CRN that names an API key is not a principal
    ("crn://api.confluent.cloud/organization=foo/service-account=sa-12mgdv/api-key=AK4NBR7MUYHVJMHW", None),
    ("lfcp-x7rgx1", None),
    ("", None),
    (None, None),
])
def test_principal_id_of(principal, principal_id):
    assert principal_id_of(principal) == principal_id


def test_principal_id_of_the_principals_found_in_the_recordings():
    found = {shape(rel)["spec"]["principal"] for rel in RECORDED_STATEMENTS}
    assert found == {"u-yo9j87", "sa-yo9j87"}
    assert {p: principal_id_of(p) for p in found} == {"u-yo9j87": "u-yo9j87", "sa-yo9j87": "sa-yo9j87"}
    owner = shape(RECORDED_API_KEYS["Region"])["spec"]["owner"]
    assert principal_id_of(owner["resource_name"]) == owner["id"] == "sa-12mgdv"


def test_listings_planned_from_the_recorded_compute_pools_use_the_flink_keys_region_id():
    pools = pd.DataFrame([TABLES["flink_compute_pools"].parse(o, {})
                          for o in shape("compute_pool/read_compute_pools.json")["data"]])
    assert plan_listings(pools) == [Listing("env-gz903", "aws.us-east-2", ("lfcp-abc123", "lfcp-abc456"))]
    assert plan_listings(pools)[0].scope == "env-gz903/aws.us-east-2"
    # the region string of a pool (cloud "AWS") is what a Flink API key names as its resource (kind Region)
    resource = shape(RECORDED_API_KEYS["Region"])["spec"]["resource"]
    assert resource["kind"] == "Region"
    assert region_of("AWS", "us-east-1") == resource["id"] == "aws.us-east-1"
    # a pool without a region cannot be listed (no regional host), and is left out rather than guessed
    assert plan_listings(pd.DataFrame([{"pool_id": "lfcp-x", "env_id": "env-1", "cloud": "AWS",
                                        "region": None}])) == []


def test_credentials_file_keyed_by_the_recorded_keys_region(tmp_path):
    key = shape(RECORDED_API_KEYS["Region"])
    region = key["spec"]["resource"]["id"]
    path = tmp_path / "flink.yaml"
    path.write_text(yaml.safe_dump({region.upper(): {"api_key": key["id"], "api_secret": "s3cr3t-flink"}}))
    keys = load_credentials(path)
    assert list(keys) == [region]  # cloud.region, lowercased as the key's resource id is
    client = FlinkStatementsClient(endpoint_template="http://flink.example/{cloud}/{region}", keys=keys,
                                   default_key=("DEFAULTKEY", "default-secret"))
    assert client.key_for(region) == (key["id"], "s3cr3t-flink")
    assert client.key_for("aws.us-east-2") == ("DEFAULTKEY", "default-secret")  # FLINK_API_KEY for the others
    assert client.endpoint(region) == "http://flink.example/aws/us-east-1"
    assert "s3cr3t-flink" not in repr(client)
    assert FlinkStatementsClient(keys=keys).key_for("aws.us-east-2") is None
    assert FlinkStatementsClient().endpoint(region) == RECORDED_FLINK_HOST  # the recorded statements' host


@pytest.mark.parametrize(("content", "message"), [
    ("us-east-1: {api_key: K, api_secret: s3cr3t-flink}\n", "'us-east-1' is not a region such as aws.us-east-1"),
    ("aws.us-east-1: {api_key: K}\n", "entry aws.us-east-1 needs exactly api_key and api_secret"),
    ("aws.us-east-1: {api_key: K, api_secret: s3cr3t-flink, role: x}\n", "problem with role"),
    ("- aws.us-east-1\n", "expected a mapping of regions"),
])
def test_a_bad_credentials_file_is_one_line_without_the_secret(tmp_path, content, message):
    path = tmp_path / "flink.yaml"
    path.write_text(content)
    with pytest.raises(ConfigError) as err:
        load_credentials(path)
    text = str(err.value)
    assert message in text and "FLINK_CREDENTIALS_FILE" in text and "\n" not in text
    assert "s3cr3t-flink" not in text
