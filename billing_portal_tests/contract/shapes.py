"""The recorded live response bodies in `live_shapes/` and what the contract tests need to read them.

`live_shapes/` holds verbatim copies of bodies Confluent Cloud answered, sanitised and recorded by
`confluentinc/terraform-provider-confluent` (`internal/testdata/`, sub-paths kept); `live_shapes/README.md` lists
each file with its source commit and git blob id. Nothing here edits a recorded body: where the product needs an
envelope that was never recorded (there is no recorded `ApiKeyList`, and no search page around the recorded catalog
entity), the helpers below build that envelope *around* recorded objects, and say so.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from pathlib import Path
from typing import Any

LIVE_SHAPES = Path(__file__).parent / "live_shapes"
SOURCE_REPOSITORY = "confluentinc/terraform-provider-confluent"
SOURCE_FOLDER = "internal/testdata"

# The hosts the recorded bodies name in absolute URLs (`metadata.next`, `self`, `related`).
RECORDED_API_HOSTS = ("https://api.confluent.cloud", "http://api.confluent.cloud")

# The recorded API keys, one per resource kind (Cloud, Cluster, Region = Flink, Global, Tableflow).
RECORDED_API_KEYS = {
    "Cloud": "apikey/read_created_cloud_api_key.json",
    "Cluster": "apikey/read_created_kafka_api_key.json",
    "Region": "apikey/read_created_flink_api_key.json",
    "Global": "apikey/read_created_global_api_key.json",
    "Tableflow": "apikey/read_created_tableflow_api_key.json",
}


def shape_bytes(rel: str) -> bytes:
    return (LIVE_SHAPES / rel).read_bytes()


def shape(rel: str) -> Any:
    """A recorded JSON body, decoded."""
    return json.loads(shape_bytes(rel))


def all_shapes() -> list[str]:
    """Every recorded body (relative path), the README aside."""
    return sorted(p.relative_to(LIVE_SHAPES).as_posix() for p in LIVE_SHAPES.rglob("*")
                  if p.is_file() and p.name != "README.md")


def git_blob_id(data: bytes) -> str:
    """What `git hash-object` says for these bytes: the blob id a verbatim copy shares with its source."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


_ROW = re.compile(r"^\|\s*`(?P<path>[^`]+)`\s*\|\s*`(?P<source>[^`]+)`\s*\|\s*`(?P<commit>[0-9a-f]{40})`\s*\|"
                  r"\s*`(?P<blob>[0-9a-f]{40})`\s*\|")


def readme_manifest() -> dict[str, dict[str, str]]:
    """The README's table: local path → {source, commit, blob}."""
    rows = {}
    for line in (LIVE_SHAPES / "README.md").read_text().splitlines():
        m = _ROW.match(line)
        if m:
            rows[m["path"]] = {"source": m["source"], "commit": m["commit"], "blob": m["blob"]}
    return rows


def api_key_list(keys: list[dict]) -> dict:
    """An `iam/v2` ApiKeyList envelope (last page: `metadata` is `{}`) around recorded key objects. Built here:
    the provider recorded single-key reads only."""
    return {"api_version": "iam/v2", "kind": "ApiKeyList", "metadata": {}, "data": keys}


def recorded_api_keys() -> list[dict]:
    return [shape(rel) for rel in RECORDED_API_KEYS.values()]


def schema_registry_api_key(kind: str = "SchemaRegistry") -> dict:
    """A Schema Registry API key, **derived** (no Schema Registry key body is recorded in the provider's testdata):
    the recorded Kafka (Cluster) key with its resource pointed at the recorded registry lsrc-755ogo. The provider's
    own code notes that the API Key Management API answers such keys with `kind` "SchemaRegistry" (sometimes
    "Cluster") and `api_version` "srcm/v2"; both kinds are exercised."""
    key = copy.deepcopy(shape(RECORDED_API_KEYS["Cluster"]))
    key["id"] = "SRKEY6K4VMXYD2LD"
    key["spec"]["display_name"] = "CI Schema Registry API Key"
    key["spec"]["resource"] = {"api_version": "srcm/v2", "id": "lsrc-755ogo", "kind": kind,
                               "related": "https://api.confluent.cloud/srcm/v2/clusters/lsrc-755ogo",
                               "resource_name": "crn://api.confluent.cloud/organization=foo/environment=env-1jrymj/"
                                                "schema-registry=lsrc-755ogo"}
    return key


def catalog_entity() -> dict:
    """The recorded full catalog entity (a `kafka_topic`, `GET /catalog/v1/entity/...`), without its wrapper."""
    return shape("entity_attributes/create_entity_attributes.json")["entity"]


def search_page(entities: list[dict]) -> dict:
    """A `GET /catalog/v1/search/basic` answer around recorded entities (the provider recorded no search page)."""
    return {"searchParameters": {"limit": 500, "offset": 0, "typeName": "kafka_topic"}, "entities": entities}


def tag_bindings_of(entity: dict) -> list[dict]:
    """What `…/entity/type/{type}/name/{qn}/tags` answers for an entity: its `classifications` as tag bindings,
    in the recorded binding shape (`tag/read_tag_binding.json`)."""
    qn = entity["attributes"]["qualifiedName"]
    return [{"typeName": c["typeName"], "attributes": c.get("attributes", {}), "entityStatus": "ACTIVE",
             "propagate": c.get("propagate", False), "removePropagationsOnEntityDelete": False,
             "entityType": entity["typeName"], "entityName": qn} for c in entity.get("classifications", [])]


# --- Flink statements (regional Flink SQL API, sql/v1) ---------------------------------------------------------
# Every recorded Statement body, by phase as recorded. They are one statement (`workspace-2023-11-15-…` in
# env-abc123) read at successive moments: created/pending, running, stopped, resuming and resumed on another pool,
# deleting. The 404 for it once deleted is `flink_statement/read_deleted_flink_statement.json`.
RECORDED_STATEMENTS = {
    "flink_statement/create_flink_statement.json": "PENDING",
    "flink_statement/read_pending_flink_statement.json": "PENDING",
    "flink_statement/read_running_flink_statement.json": "RUNNING",
    "flink_statement/read_stopped_flink_statement.json": "STOPPED",
    "flink_statement/read_resuming_flink_statement.json": "PENDING",
    "flink_statement/read_resumed_flink_statement.json": "RUNNING",
    "flink_statement/read_deleting_flink_statement.json": "DELETING",
}
RECORDED_FLINK_HOST = "https://flink.us-east-1.aws.confluent.cloud"
RECORDED_ORG = "1111aaaa-11aa-11aa-11aa-111111aaaaaa"
RECORDED_FLINK_ENV = "env-abc123"


def statement_list(statements: list[dict], *, self_url: str, next_url: str | None = None) -> dict:
    """A `sql/v1` StatementList page around recorded Statement objects (the provider recorded single-statement
    reads only): the standard list envelope, `metadata.next` a full URL on every page but the last."""
    metadata = {"self": self_url}
    if next_url:
        metadata["next"] = next_url
    return {"api_version": "sql/v1", "kind": "StatementList", "metadata": metadata, "data": statements}


def statement_named(rel: str, name: str) -> dict:
    """A recorded Statement under another name, **derived**: every recording is the same statement, and a list of
    several distinct statements needs distinct names (unique in an environment). Only `name`, the name at the end
    of `metadata.self` and `metadata.uid` change; spec and status stay as recorded."""
    obj = copy.deepcopy(shape(rel))
    old = obj["name"]
    obj["name"] = name
    obj["metadata"]["self"] = obj["metadata"]["self"][: -len(old)] + name
    obj["metadata"]["uid"] = hashlib.sha1(name.encode()).hexdigest()[:8] + obj["metadata"]["uid"][8:]
    return obj
