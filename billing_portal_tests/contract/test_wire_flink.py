"""Contract (HTTP): `FlinkStatementsClient` against a server that answers the recorded live Statement bodies.

`RecordedServer` serves `live_shapes/flink_statement/` bodies. No StatementList is recorded, so the list pages are
built around recorded Statement objects (`shapes.statement_list`; distinct statements are recorded ones renamed,
`shapes.statement_named`). The regional host is `FLINK_ENDPOINT_TEMPLATE` with `{cloud}/{region}` spelt into a
path of this server. What is exercised: one listing per (environment, region) with the region's own key, one
filtered list per compute pool, `metadata.next` followed (pointing here, or at the recorded Flink host and rebased),
statements parsed as recorded, a name seen twice quarantined, and every error a region can answer: 401 and 403 skip
that scope with a one-line reason naming the key and the Flink role, a 404 skips it too (never an empty list that
would close the statements' history), other regions are still read.
"""

from __future__ import annotations

import base64
import json

import pandas as pd
import pytest
import yaml

from billing_portal.confluent.flink import FlinkStatementsClient, load_credentials
from billing_portal.confluent.http import ConfluentHttp
from billing_portal.confluent.normalize import json_text
from billing_portal.errors import ConfluentApiError
from billing_portal_tests.confluent_fixtures import fast_config
from billing_portal_tests.contract.recorded_server import RecordedServer
from billing_portal_tests.contract.shapes import (
    RECORDED_FLINK_ENV,
    RECORDED_FLINK_HOST,
    RECORDED_ORG,
    shape,
    statement_list,
    statement_named,
)

ENV, ORG = RECORDED_FLINK_ENV, RECORDED_ORG
NAME = "workspace-2023-11-15-030109-0408d52d-eaff-4d50-a246-f822a29f2eb9"
LIST = f"/sql/v1/organizations/{ORG}/environments/{ENV}/statements"
AWS = "/aws/us-east-1" + LIST      # the listing's path on this server (FLINK_ENDPOINT_TEMPLATE …/{cloud}/{region})
AZURE = "/azure/westeurope" + LIST
TOKEN = "eyJvZmZzZXQiOjF9"
FLINK_KEY, FLINK_SECRET = "AK4NBR7MUYHVJMHW", "flink-s3cr3t-aws-never-printed"
DEFAULT_KEY, DEFAULT_SECRET = "FLINKDEFAULTKEY1", "flink-s3cr3t-default-never-printed"
RUNNING = "flink_statement/read_running_flink_statement.json"
STOPPED = "flink_statement/read_stopped_flink_statement.json"
RESUMED = "flink_statement/read_resumed_flink_statement.json"
DELETING = "flink_statement/read_deleting_flink_statement.json"

POOLS = pd.DataFrame([
    {"pool_id": "lfcp-x7rgx1", "env_id": ENV, "cloud": "AWS", "region": "us-east-1"},
    {"pool_id": "lfcp-x7rgx2", "env_id": ENV, "cloud": "AWS", "region": "us-east-1"},
])
AZURE_POOL = pd.DataFrame([{"pool_id": "lfcp-az0001", "env_id": ENV, "cloud": "AZURE", "region": "westeurope"}])


def basic(key: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()


@pytest.fixture
def keys(tmp_path):
    """FLINK_CREDENTIALS_FILE with the aws.us-east-1 key (the recorded Flink key's id and region)."""
    path = tmp_path / "flink-keys.yaml"
    path.write_text(yaml.safe_dump({"aws.us-east-1": {"api_key": FLINK_KEY, "api_secret": FLINK_SECRET}}))
    return load_credentials(path)


def client_for(server: RecordedServer, keys, *, default: bool = True) -> FlinkStatementsClient:
    return FlinkStatementsClient(endpoint_template=server.url + "/{cloud}/{region}", keys=keys,
                                 default_key=(DEFAULT_KEY, DEFAULT_SECRET) if default else None,
                                 config=fast_config(), max_workers=2)


def one_line(text: str) -> str:
    assert text and "\n" not in text and text.strip() == text
    assert FLINK_SECRET not in text and DEFAULT_SECRET not in text
    return text


@pytest.fixture(params=["rewritten", "rebased"])
def next_variant(request):
    return request.param


def next_url(server: RecordedServer, variant: str, pool: str) -> str:
    """`metadata.next` as a full URL: pointing at this server with every parameter kept, or — as recorded bodies
    name their host — at the live Flink host with only the token (the client rebases it and re-sends its filter)."""
    if variant == "rewritten":
        return f"{server.url}{AWS}?page_size=99&page_token={TOKEN}&spec.compute_pool_id={pool}"
    return f"{RECORDED_FLINK_HOST}{LIST}?page_token={TOKEN}"


# --- listing ---------------------------------------------------------------------------------------------------
def test_statements_of_two_pools_one_across_two_pages(keys, next_variant):
    stopped = statement_named(STOPPED, "stopped-statement")
    resumed = statement_named(RESUMED, "resumed-statement")
    with RecordedServer() as server:
        server.answer(AWS, body=statement_list([shape(RUNNING)], self_url=f"{RECORDED_FLINK_HOST}{LIST}",
                                               next_url=next_url(server, next_variant, "lfcp-x7rgx1")),
                      query={"spec.compute_pool_id": "lfcp-x7rgx1"})
        server.answer(AWS, body=statement_list([stopped], self_url=f"{RECORDED_FLINK_HOST}{LIST}"),
                      query={"spec.compute_pool_id": "lfcp-x7rgx1", "page_token": TOKEN})
        server.answer(AWS, body=statement_list([resumed], self_url=f"{RECORDED_FLINK_HOST}{LIST}"),
                      query={"spec.compute_pool_id": "lfcp-x7rgx2"})
        client = client_for(server, keys)
        snap = client.fetch_snapshot(POOLS, ORG)
        assert server.unmatched == []
        hits = server.hits(AWS)
    rows = snap.statements.to_dict("records")
    assert [(r["statement_name"], r["compute_pool_id"], r["principal_id"], r["principal"], r["phase"], r["stopped"])
            for r in rows] == [
        ("resumed-statement", "lfcp-x7rgx2", "sa-yo9j87", "sa-yo9j87", "RUNNING", False),
        ("stopped-statement", "lfcp-x7rgx1", "u-yo9j87", "u-yo9j87", "STOPPED", True),
        (NAME, "lfcp-x7rgx1", "u-yo9j87", "u-yo9j87", "RUNNING", False),
    ]
    assert {r["env_id"] for r in rows} == {ENV} and {r["scope"] for r in rows} == {f"{ENV}/aws.us-east-1"}
    assert rows[2]["uid"] == "8b9c49bb-7351-416d-98d5-d5f29f6de980"
    assert rows[2]["raw"] == json_text(shape(RUNNING))  # the object as answered
    assert json.loads(rows[1]["raw"])["status"]["latest_offsets"]["customers_source"].endswith(
        "offset:9223372036854775808")
    assert snap.quarantine.empty and snap.skipped == []
    assert {k: snap.stats[k] for k in ("listings", "statements", "skipped_scopes", "quarantined",
                                       "without_principal", "duplicates")} == {
        "listings": 1, "statements": 3, "skipped_scopes": 0, "quarantined": 0, "without_principal": 0,
        "duplicates": 0}
    # one filtered list per pool, page 2 by the token with the pool filter and page size kept; the region's key
    assert sorted((h.param("spec.compute_pool_id"), h.param("page_token") or "", h.param("page_size"))
                  for h in hits) == [("lfcp-x7rgx1", "", "99"), ("lfcp-x7rgx1", TOKEN, "99"),
                                     ("lfcp-x7rgx2", "", "99")]
    assert {h.authorization for h in hits} == {basic(FLINK_KEY, FLINK_SECRET)}
    assert {h.host for h in hits} == {server.url.split("://", 1)[1]}  # never the recorded live host
    assert client.request_count == 3


def test_verbatim_recordings_of_one_statement_a_name_seen_twice(keys):
    """The recordings are one statement in several phases: a second, different object under a name already seen in
    the environment is quarantined with the reason (the first kept); an identical repeat is only counted."""
    with RecordedServer() as server:
        server.answer(AWS, body=statement_list([shape(RUNNING)], self_url=LIST, next_url=f"{LIST}?page_token={TOKEN}"),
                      query={"spec.compute_pool_id": "lfcp-x7rgx1"})
        server.answer(AWS, body=statement_list([shape(RUNNING), shape(STOPPED)], self_url=LIST),
                      query={"spec.compute_pool_id": "lfcp-x7rgx1", "page_token": TOKEN})
        server.answer(AWS, body=statement_list([shape(RESUMED)], self_url=LIST),
                      query={"spec.compute_pool_id": "lfcp-x7rgx2"})
        snap = client_for(server, keys).fetch_snapshot(POOLS, ORG, snapshot_date=pd.Timestamp("2024-05-01").date())
        assert server.unmatched == []
    (kept,) = snap.statements.to_dict("records")
    assert (kept["statement_name"], kept["phase"], kept["compute_pool_id"]) == (NAME, "RUNNING", "lfcp-x7rgx1")
    reasons = [(q["reason"], json.loads(q["raw"])["status"]["phase"]) for q in snap.quarantine.to_dict("records")]
    reason = f"duplicate_id: {NAME} already seen in {ENV} with different content (flink_statements)"
    assert reasons == [(reason, "STOPPED"), (reason, "RUNNING")]
    assert set(snap.quarantine["source"]) == {"objects"}
    assert set(snap.quarantine["usage_date"]) == {pd.Timestamp("2024-05-01").date()}
    assert (snap.stats["duplicates"], snap.stats["quarantined"]) == (1, 2)


def test_a_statement_being_deleted_is_still_a_statement_with_its_owner(keys):
    with RecordedServer() as server:
        server.answer(AWS, body=statement_list([shape(DELETING)], self_url=LIST),
                      query={"spec.compute_pool_id": "lfcp-x7rgx1"})
        server.answer(AWS, body=statement_list([], self_url=LIST), query={"spec.compute_pool_id": "lfcp-x7rgx2"})
        snap = client_for(server, keys).fetch_snapshot(POOLS, ORG)
    (row,) = snap.statements.to_dict("records")
    assert (row["statement_name"], row["phase"], row["principal_id"]) == (NAME, "DELETING", "u-yo9j87")
    assert snap.skipped == []  # an empty list (pool x7rgx2) is no statements, not a failure


# --- errors: the scope is skipped with a reason, other regions are still read ---------------------------------
def serve_azure(server: RecordedServer) -> None:
    server.answer(AZURE, body=statement_list([statement_named(RUNNING, "azure-statement")], self_url=LIST),
                  query={"spec.compute_pool_id": "lfcp-az0001"})


def fetch_both_regions(server: RecordedServer, keys):
    snap = client_for(server, keys).fetch_snapshot(pd.concat([POOLS, AZURE_POOL], ignore_index=True), ORG)
    assert snap.stats["listings"] == 2
    # the other region was read with its own key (FLINK_API_KEY: no entry of its own in the file)
    assert snap.statements["statement_name"].tolist() == ["azure-statement"]
    assert {h.authorization for h in server.hits(AZURE)} == {basic(DEFAULT_KEY, DEFAULT_SECRET)}
    (skip,) = snap.skipped
    assert {k: skip[k] for k in ("table", "scope", "env_id", "region")} == {
        "table": "flink_statements", "scope": f"{ENV}/aws.us-east-1", "env_id": ENV, "region": "aws.us-east-1"}
    return snap, one_line(skip["reason"])


@pytest.mark.parametrize("recorded", ["ksql/401_Unathorized.json", "apikey/read_list_envs_401.json"])
def test_401_skips_the_region_naming_the_key_and_the_flink_role(keys, recorded):
    with RecordedServer() as server:
        server.answer(AWS, recorded, status=401, query={"spec.compute_pool_id": "lfcp-x7rgx1"})
        serve_azure(server)
        snap, reason = fetch_both_regions(server, keys)
        assert len(server.hits(AWS)) == 1  # not retried, and the second pool is not tried with a refused key
        assert server.hits(AWS)[0].authorization == basic(FLINK_KEY, FLINK_SECRET)
    assert reason.startswith("401: Confluent flink API rejected the API key (401 Unauthorized) on GET ")
    assert AWS in reason
    for needed in ("FLINK_API_KEY", "FLINK_API_SECRET", "FLINK_CREDENTIALS_FILE", "a Flink API key of this region",
                   "resource kind Region", "not a Cloud key", "FlinkDeveloper"):
        assert needed in reason, needed
    assert snap.quarantine.empty


@pytest.mark.parametrize(("recorded", "explanation"), [
    ("ksql/403_forbidden.json", None),
    ("compute_pool/read_deleted_compute_pool.json", "The compute pool lfcp-abc123 was not found."),
])
def test_403_skips_the_region_with_its_reason(keys, recorded, explanation):
    with RecordedServer() as server:
        server.answer(AWS, body=statement_list([shape(RUNNING)], self_url=LIST),
                      query={"spec.compute_pool_id": "lfcp-x7rgx1"})
        server.answer(AWS, recorded, status=403, query={"spec.compute_pool_id": "lfcp-x7rgx2"})
        serve_azure(server)
        snap, reason = fetch_both_regions(server, keys)
        assert len(server.hits(AWS)) == 2
    assert reason.startswith("403: Confluent flink API refused GET ") and "(403 Forbidden)" in reason
    assert "the owner of the Flink API key (FLINK_CREDENTIALS_FILE or FLINK_API_KEY) needs FlinkDeveloper" in reason
    if explanation:
        assert f"Confluent said: {explanation}" in reason
    else:
        assert "Confluent said" not in reason  # "Forbidden Access" says nothing the role hint does not
    # the scope's statements listed before the refusal are not kept as a partial listing
    assert NAME not in snap.statements["statement_name"].tolist()


def test_a_region_without_a_key_is_skipped_without_a_request(keys):
    with RecordedServer() as server:
        server.answer(AWS, body=statement_list([shape(RUNNING)], self_url=LIST),
                      query={"spec.compute_pool_id": "lfcp-x7rgx1"})
        server.answer(AWS, body=statement_list([], self_url=LIST), query={"spec.compute_pool_id": "lfcp-x7rgx2"})
        snap = client_for(server, keys, default=False).fetch_snapshot(
            pd.concat([POOLS, AZURE_POOL], ignore_index=True), ORG)
        assert server.hits(AZURE) == []
        no_org = client_for(server, keys).fetch_snapshot(POOLS, None)
        assert len(server.hits(AWS)) == 2  # the snapshot without an organization sent nothing
    assert snap.statements["statement_name"].tolist() == [NAME]
    (skip,) = snap.skipped
    assert (skip["scope"], skip["reason"]) == (f"{ENV}/azure.westeurope",
                                               "no Flink API key for region azure.westeurope (FLINK_CREDENTIALS_FILE)")
    assert no_org.statements.empty
    assert [s["reason"] for s in no_org.skipped] == [
        "the organization id is not known yet (organizations not observed)"]


@pytest.mark.parametrize("page", ["first", "later"])
def test_404_skips_the_region_instead_of_an_empty_or_partial_list(keys, page):
    """A 404 means no statements API at that host (e.g. a private-networking endpoint not configured) or a later
    page gone. Read as "no statements", it would close every statement of the scope in the history."""
    deleted = "flink_statement/read_deleted_flink_statement.json"
    with RecordedServer() as server:
        if page == "first":
            server.answer(AWS, deleted, status=404, query={"spec.compute_pool_id": "lfcp-x7rgx1"})
        else:
            server.answer(AWS, body=statement_list([shape(RUNNING)], self_url=LIST,
                                                   next_url=f"{LIST}?page_token={TOKEN}"),
                          query={"spec.compute_pool_id": "lfcp-x7rgx1"})
            server.answer(AWS, deleted, status=404, query={"spec.compute_pool_id": "lfcp-x7rgx1",
                                                           "page_token": TOKEN})
        server.answer(AWS, body=statement_list([statement_named(RESUMED, "other")], self_url=LIST),
                      query={"spec.compute_pool_id": "lfcp-x7rgx2"})
        serve_azure(server)
        snap, reason = fetch_both_regions(server, keys)
    assert reason == f"404: no Flink statements API at {server.url}/aws/us-east-1"
    assert "other" not in snap.statements["statement_name"].tolist()


def test_404_of_a_deleted_statement_says_what_the_api_said():
    with RecordedServer() as server:
        path = f"/aws/us-east-1{LIST}/{NAME}"
        server.answer(path, "flink_statement/read_deleted_flink_statement.json", status=404)
        http = ConfluentHttp(server.url + "/aws/us-east-1", FLINK_KEY, FLINK_SECRET, fast_config(), family="flink")
        with pytest.raises(ConfluentApiError) as err:
            http.get(f"{LIST}/{NAME}")
        assert len(server.hits(path)) == 1
    text = one_line(str(err.value))
    assert err.value.status == 404 and path in text
    assert f"Statement resource={NAME} does not exist" in text  # an errors[] entry with no code or title
    assert text.startswith("Confluent flink API error 404")
