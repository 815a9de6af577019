"""Core objects (org, iam, cmk, srcm, ksqldbcm, fcpm, connect) → one DataFrame per warehouse table.

`ObjectsClient.fetch_snapshot()` lists, as ../shared/CONFLUENT_API.md describes them:
- organization-wide lists: organizations, environments, service accounts, users, API keys;
- environment-scoped lists (`?environment=ENV`, required) for every environment: Kafka clusters, ksqlDB clusters,
  Flink compute pools, Schema Registry clusters — concurrently on a small thread pool;
- connectors for every Kafka cluster (`/connect/v1/environments/{env}/clusters/{lkc}/connectors?expand=info,status,id`,
  a map keyed by connector name, not paginated) — concurrently too.

Each frame has exactly the table's columns minus `snapshot_date` (the caller adds the day), sorted by id for a
deterministic result; `raw` is the object's JSON text. A list that 404s (product not enabled) is empty. Objects
without an id, or a second *different* object with an id already seen, go to `quarantine` (source `objects`);
identical repeats (a page served twice) are dropped and counted in `stats["duplicates"]`.

Connector configs are stored in `raw` with any value whose key looks secret (`*password*`, `*secret*`,
`*credentials*`, `*private.key*`, `*token*`) replaced by "****": Confluent already masks them, and a warehouse must not
become the place where an unmasked one leaks if that ever changes. `kafka.api.key` is a key *id* (the owner link),
kept as received (usually masked).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import pandas as pd

from billing_portal.confluent.http import ConfluentHttp
from billing_portal.confluent.normalize import (
    QUARANTINE_COLUMNS,
    dig,
    int_or_none,
    json_text,
    text_or_none,
    typed_frame,
)
from billing_portal.confluent.pagination import iter_envelope
from billing_portal.errors import ConfluentApiError, ConfluentAuthError
from billing_portal.model.observed import OBJECT_TABLES

log = logging.getLogger(__name__)

_SECRET_KEY = re.compile(r"(password|secret|credentials?|private\.key|token)", re.IGNORECASE)


@dataclass(frozen=True)
class TableSpec:
    columns: list[str]
    parse: Callable[[dict, dict], dict]
    nullable_ints: tuple[str, ...] = ()
    datetimes: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return self.columns[0]


def _org(o: dict, ctx: dict) -> dict:
    return {"org_id": text_or_none(o.get("id")), "display_name": text_or_none(o.get("display_name"))}


def _env(o: dict, ctx: dict) -> dict:
    return {"env_id": text_or_none(o.get("id")), "display_name": text_or_none(o.get("display_name")),
            "stream_governance_package": text_or_none(dig(o, "stream_governance_config", "package")),
            "created_at": text_or_none(dig(o, "metadata", "created_at"))}


def _kafka(o: dict, ctx: dict) -> dict:
    spec = o.get("spec") if isinstance(o.get("spec"), dict) else {}
    cku = dig(o, "status", "cku")
    if cku is None:
        cku = dig(spec, "config", "cku")
    return {"cluster_id": text_or_none(o.get("id")),
            "env_id": text_or_none(dig(spec, "environment", "id")) or ctx.get("env_id"),
            "display_name": text_or_none(spec.get("display_name")),
            "cluster_kind": text_or_none(dig(spec, "config", "kind")),
            "availability": text_or_none(spec.get("availability")), "cloud": text_or_none(spec.get("cloud")),
            "region": text_or_none(spec.get("region")), "cku": int_or_none(cku),
            "phase": text_or_none(dig(o, "status", "phase"))}


def _service_account(o: dict, ctx: dict) -> dict:
    return {"principal_id": text_or_none(o.get("id")), "display_name": text_or_none(o.get("display_name")),
            "description": text_or_none(o.get("description"))}


def _user(o: dict, ctx: dict) -> dict:
    return {"principal_id": text_or_none(o.get("id")), "email": text_or_none(o.get("email")),
            "full_name": text_or_none(o.get("full_name"))}


def _api_key(o: dict, ctx: dict) -> dict:
    spec = o.get("spec") if isinstance(o.get("spec"), dict) else {}
    resource = spec.get("resource")
    if not isinstance(resource, dict):  # newer keys may list several resources
        resources = spec.get("resources")
        resource = resources[0] if isinstance(resources, list) and resources and isinstance(resources[0], dict) \
            else {}
    return {"key_id": text_or_none(o.get("id")), "display_name": text_or_none(spec.get("display_name")),
            "description": text_or_none(spec.get("description")),
            "owner_id": text_or_none(dig(spec, "owner", "id")), "owner_kind": text_or_none(dig(spec, "owner", "kind")),
            "resource_id": text_or_none(resource.get("id")), "resource_kind": text_or_none(resource.get("kind"))}


def _ksqldb(o: dict, ctx: dict) -> dict:
    spec = o.get("spec") if isinstance(o.get("spec"), dict) else {}
    return {"ksqldb_id": text_or_none(o.get("id")), "display_name": text_or_none(spec.get("display_name")),
            "env_id": text_or_none(dig(spec, "environment", "id")) or ctx.get("env_id"),
            "kafka_cluster_id": text_or_none(dig(spec, "kafka_cluster", "id")),
            "credential_identity_id": text_or_none(dig(spec, "credential_identity", "id")),
            "csu": int_or_none(spec.get("csu"))}


def _flink(o: dict, ctx: dict) -> dict:
    spec = o.get("spec") if isinstance(o.get("spec"), dict) else {}
    return {"pool_id": text_or_none(o.get("id")), "display_name": text_or_none(spec.get("display_name")),
            "env_id": text_or_none(dig(spec, "environment", "id")) or ctx.get("env_id"),
            "cloud": text_or_none(spec.get("cloud")), "region": text_or_none(spec.get("region")),
            "max_cfu": int_or_none(spec.get("max_cfu"))}


def _schema_registry(o: dict, ctx: dict) -> dict:
    spec = o.get("spec") if isinstance(o.get("spec"), dict) else {}
    return {"sr_id": text_or_none(o.get("id")), "display_name": text_or_none(spec.get("display_name")),
            "env_id": text_or_none(dig(spec, "environment", "id")) or ctx.get("env_id"),
            "http_endpoint": text_or_none(spec.get("http_endpoint")),
            "catalog_http_endpoint": text_or_none(spec.get("catalog_http_endpoint"))}


def parse_identity_pool(o: dict, ctx: dict | None = None) -> dict:
    """An IdentityPool (iam/v2, OAuth or mTLS): its principal is the pool id (`pool-…`)."""
    ctx = ctx or {}
    return {"pool_id": text_or_none(o.get("id")), "display_name": text_or_none(o.get("display_name")),
            "description": text_or_none(o.get("description")),
            "identity_claim": text_or_none(o.get("identity_claim")), "filter": text_or_none(o.get("filter")),
            "principal": text_or_none(o.get("principal")), "state": text_or_none(o.get("state")),
            "provider_id": ctx.get("provider_id")}


def _connector(o: dict, ctx: dict) -> dict:
    config = dig(o, "info", "config")
    config = config if isinstance(config, dict) else {}
    return {"connector_id": text_or_none(dig(o, "id", "id")),
            "connector_name": text_or_none(dig(o, "info", "name")) or ctx.get("name"),
            "env_id": ctx.get("env_id"), "cluster_id": ctx.get("cluster_id"),
            "connector_type": text_or_none(dig(o, "info", "type")) or text_or_none(dig(o, "status", "type")),
            "connector_class": text_or_none(config.get("connector.class")),
            "auth_mode": text_or_none(config.get("kafka.auth.mode")),
            "service_account_id": text_or_none(config.get("kafka.service.account.id")),
            "api_key": text_or_none(config.get("kafka.api.key")),
            "tasks_max": int_or_none(config.get("tasks.max")),
            "state": text_or_none(dig(o, "status", "connector", "state"))}


# How each object table of the model (billing_portal/model/observed.py) is parsed from its API object; the frame's
# columns and their types are the table's attributes.
PARSERS: dict[str, Callable[[dict, dict], dict]] = {
    "organizations": _org, "environments": _env, "kafka_clusters": _kafka, "service_accounts": _service_account,
    "users": _user, "api_keys": _api_key, "connectors": _connector, "ksqldb_clusters": _ksqldb,
    "flink_compute_pools": _flink, "schema_registries": _schema_registry, "identity_pools": parse_identity_pool,
}
TABLES: dict[str, TableSpec] = {
    t.name: TableSpec(list(t.attribute_names), PARSERS[t.name],
                      nullable_ints=tuple(c.name for c in t.attributes if c.sql_type == "integer"),
                      datetimes=tuple(c.name for c in t.attributes if c.sql_type == "timestamp with time zone"))
    for t in OBJECT_TABLES}
# Identity pools hang off identity providers (OAuth) and certificate authorities (mTLS).
POOL_PARENTS = {"/iam/v2/identity-providers": "/iam/v2/identity-providers/{id}/identity-pools",
                "/iam/v2/certificate-authorities": "/iam/v2/certificate-authorities/{id}/identity-pools"}
# The role a 403 on a list most likely means the key lacks (named in the skipped scope and in a failed run).
ROLE_FOR = {"organizations": "OrganizationAdmin", "environments": "OrganizationAdmin",
            "service_accounts": "OrganizationAdmin", "users": "OrganizationAdmin", "api_keys": "OrganizationAdmin",
            "identity_pools": "OrganizationAdmin",
            "kafka_clusters": "EnvironmentAdmin (or CloudClusterAdmin) on the environment",
            "ksqldb_clusters": "EnvironmentAdmin on the environment",
            "flink_compute_pools": "EnvironmentAdmin (or FlinkAdmin) on the environment",
            "schema_registries": "EnvironmentAdmin on the environment",
            "connectors": "EnvironmentAdmin (or CloudClusterAdmin) on the environment"}

ORG_LISTS = {
    "organizations": "/org/v2/organizations",
    "environments": "/org/v2/environments",
    "service_accounts": "/iam/v2/service-accounts",
    "users": "/iam/v2/users",
    "api_keys": "/iam/v2/api-keys",
}
ENV_LISTS = {
    "kafka_clusters": "/cmk/v2/clusters",
    "ksqldb_clusters": "/ksqldbcm/v2/clusters",
    "flink_compute_pools": "/fcpm/v2/compute-pools",
    "schema_registries": "/srcm/v3/clusters",
}


def scrub_config(config: dict) -> dict:
    """A copy of a connector config with secret-looking values masked (see the module docstring)."""
    return {k: ("****" if _SECRET_KEY.search(str(k)) and v not in (None, "") else v) for k, v in config.items()}


@dataclass
class ObjectsSnapshot:
    """One frame per core-object table (warehouse columns without `snapshot_date`; `snapshot.kafka_clusters` or
    `snapshot.frames["kafka_clusters"]`) + what could not be used."""

    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    quarantine: pd.DataFrame = field(default_factory=lambda: typed_frame([], QUARANTINE_COLUMNS,
                                                                         objects=("usage_date", "amount")))
    stats: dict[str, Any] = field(default_factory=dict)
    # scopes the key may not read (a 403 on an environment's list): {table, env_id, path, role}; their objects are
    # neither seen nor gone in this observation
    skipped: list[dict] = field(default_factory=list)

    def __post_init__(self):
        missing = {name: typed_frame([], spec.columns) for name, spec in TABLES.items() if name not in self.tables}
        self.tables = {**self.tables, **missing}

    def __getattr__(self, name: str) -> pd.DataFrame:
        tables = self.__dict__.get("tables", {})
        if name in tables:
            return tables[name]
        raise AttributeError(name)

    def frames(self) -> dict[str, pd.DataFrame]:
        return {name: self.tables[name] for name in TABLES}


class _Collector:
    """Parses objects into records for one table, de-duplicating by id and quarantining the unusable."""

    def __init__(self, name: str, day: dt.date, quarantine: list[dict], stats: dict):
        self.name, self.spec, self.day = name, TABLES[name], day
        self.records: dict[str, dict] = {}
        self.raw_by_id: dict[str, str] = {}
        self.quarantine, self.stats = quarantine, stats

    def _reject(self, reason: str, raw: str) -> None:
        self.quarantine.append({"source": "objects", "usage_date": self.day, "reason": f"{reason} ({self.name})",
                                "amount": None, "raw": raw})

    def add(self, obj: Any, ctx: dict | None = None, raw_obj: Any = None) -> None:
        raw = json_text(raw_obj if raw_obj is not None else obj)
        if not isinstance(obj, dict):
            self._reject(f"not_an_object: got {type(obj).__name__}", raw)
            return
        record = self.spec.parse(obj, ctx or {})
        key = record[self.spec.key]
        if key is None:
            self._reject(f"missing_id: no {self.spec.key}", raw)
            return
        if key in self.records:
            if self.raw_by_id[key] == raw:
                self.stats["duplicates"] = self.stats.get("duplicates", 0) + 1
            else:
                self._reject(f"duplicate_id: {key} already seen with different content", raw)
            return
        record["raw"] = raw
        self.records[key] = record
        self.raw_by_id[key] = raw

    def frame(self) -> pd.DataFrame:
        rows = [self.records[k] for k in sorted(self.records)]
        return typed_frame(rows, self.spec.columns, nullable_ints=self.spec.nullable_ints,
                           datetimes=self.spec.datetimes)


class ObjectsClient:
    """Lists every core object the Cloud API key can see. Needs OrganizationAdmin (or EnvironmentAdmin for the
    environment-scoped lists)."""

    def __init__(self, http: ConfluentHttp, *, max_workers: int = 4):
        self.http = http
        self.max_workers = max(1, int(max_workers))

    def __repr__(self) -> str:
        return f"ObjectsClient({self.http!r}, max_workers={self.max_workers})"

    def list(self, path: str, params: dict | None = None) -> list:
        """Every item of an envelope list (404 → empty)."""
        return list(iter_envelope(self.http, path, params, api="objects"))

    def list_connectors(self, env_id: str, cluster_id: str) -> dict:
        """The connectors map of one Kafka cluster (404 → empty)."""
        path = (f"/connect/v1/environments/{quote(env_id, safe='')}/clusters/{quote(cluster_id, safe='')}"
                "/connectors")
        doc = self.http.get(path, {"expand": "info,status,id"}, not_found_empty=True, api="objects")
        if doc is None:
            return {}
        if not isinstance(doc, dict):
            raise ConfluentApiError(f"unexpected response from {path}: expected a JSON object keyed by connector "
                                    f"name, got {type(doc).__name__}", url=path)
        return doc

    def identity_pools(self) -> list[tuple[str, dict]]:
        """(provider or certificate-authority id, pool) for every OAuth and mTLS identity pool."""
        out = []
        for parents, children in POOL_PARENTS.items():
            for parent in self.list(parents):
                pid = text_or_none(parent.get("id")) if isinstance(parent, dict) else None
                if pid:
                    out.extend((pid, pool) for pool in self.list(children.format(id=quote(pid, safe=""))))
        return out

    def fetch_snapshot(self, snapshot_date: dt.date | None = None) -> ObjectsSnapshot:
        """Every table, collected now. `snapshot_date` only dates quarantine rows (default: today, UTC).

        A 403 on one environment's list (clusters, ksqlDB, Flink, Schema Registry, connectors) or on the identity
        pools skips that scope (`skipped`, and a quarantine row naming the scope and the role the key lacks); a 401,
        a 403 on an organization-wide list, or a 403 on every environment-scoped list fails with one line."""
        day = snapshot_date or dt.datetime.now(dt.UTC).date()
        quarantine: list[dict] = []
        stats: dict[str, Any] = {}
        skipped: list[dict] = []
        collectors = {name: _Collector(name, day, quarantine, stats) for name in TABLES}
        env_calls = 0

        def forbidden(exc: ConfluentApiError, table: str, env_id: str | None, path: str) -> bool:
            if not (isinstance(exc, ConfluentAuthError) and exc.status == 403):
                return False
            scope = {"table": table, "env_id": env_id, "path": path, "role": ROLE_FOR[table]}
            skipped.append(scope)
            quarantine.append({"source": "objects", "usage_date": day, "amount": None, "raw": json_text(scope),
                               "reason": f"forbidden_scope: 403 on {path}{' for ' + env_id if env_id else ''}: the "
                                         f"key lacks {ROLE_FOR[table]} ({table})"})
            log.warning("objects: %s%s answered 403 (the key lacks %s): skipped", path,
                        f" for {env_id}" if env_id else "", ROLE_FOR[table])
            return True

        with ThreadPoolExecutor(max_workers=self.max_workers, thread_name_prefix="ccloud-objects") as pool:
            org_futures = {name: pool.submit(self.list, path) for name, path in ORG_LISTS.items()}
            pools_future = pool.submit(self.identity_pools)
            for name, fut in org_futures.items():
                for obj in fut.result():
                    collectors[name].add(obj)
            try:
                for provider, obj in pools_future.result():
                    collectors["identity_pools"].add(obj, {"provider_id": provider})
            except ConfluentApiError as exc:
                if not forbidden(exc, "identity_pools", None, "/iam/v2/identity-providers"):
                    raise
            env_ids = sorted(collectors["environments"].records)
            env_futures = [(name, env_id, path, pool.submit(self.list, path, {"environment": env_id}))
                           for env_id in env_ids for name, path in ENV_LISTS.items()]
            for name, env_id, path, fut in env_futures:
                env_calls += 1
                try:
                    objs = fut.result()
                except ConfluentApiError as exc:
                    if forbidden(exc, name, env_id, path):
                        continue
                    raise
                for obj in objs:
                    collectors[name].add(obj, {"env_id": env_id})
            clusters = [(r["env_id"] or "", cid) for cid, r in sorted(collectors["kafka_clusters"].records.items())]
            conn_futures = [(env_id, cid, pool.submit(self.list_connectors, env_id, cid))
                            for env_id, cid in clusters if env_id]
            for env_id, cid, fut in conn_futures:
                env_calls += 1
                try:
                    found = fut.result()
                except ConfluentApiError as exc:
                    if forbidden(exc, "connectors", env_id, f"/connect/v1/environments/{env_id}/clusters/{cid}"):
                        continue
                    raise
                for name, obj in found.items():
                    raw_obj = _scrubbed(obj)
                    collectors["connectors"].add(obj, {"env_id": env_id, "cluster_id": cid, "name": name}, raw_obj)
        env_denied = [s for s in skipped if s["env_id"]]
        if env_calls and len(env_denied) == env_calls:
            raise ConfluentAuthError(f"Confluent objects API refused every environment-scoped list (403 Forbidden on "
                                     f"{len(env_denied)} lists): the Cloud API key needs {ROLE_FOR['kafka_clusters']}"
                                     f" (or OrganizationAdmin)", status=403)

        stats.update({name: len(c.records) for name, c in collectors.items()})
        stats["quarantined"] = len(quarantine)
        frames = {name: c.frame() for name, c in collectors.items()}
        log.info("core objects: %s", ", ".join(f"{n}={len(f)}" for n, f in frames.items()))
        stats["skipped_scopes"] = len(skipped)
        return ObjectsSnapshot(frames, quarantine=typed_frame(quarantine, QUARANTINE_COLUMNS,
                                                                 objects=("usage_date", "amount")), stats=stats,
                               skipped=skipped)


def _scrubbed(obj: Any) -> Any:
    config = dig(obj, "info", "config")
    if not isinstance(config, dict):
        return obj
    info = dict(obj["info"])
    info["config"] = scrub_config(config)
    return {**obj, "info": info}
