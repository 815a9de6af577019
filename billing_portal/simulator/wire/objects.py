"""Core objects: org, iam, cmk, ksqldbcm, fcpm and srcm in their list envelopes (and single GETs).

Faithful: ``{"api_version","kind","metadata":{"first","next","total_size"},"data":[…]}``, ``page_size``
(default 10, max 100), ``page_token``, ``metadata.next`` a full URL keeping the other query parameters, no
``next`` on the last page; every object carries ``metadata{self, resource_name (CRN), created_at, updated_at}``;
``environment`` is required on cmk/ksqldbcm/fcpm/srcm (400 otherwise); ``/iam/v2/api-keys`` honours the
``spec.owner`` and ``spec.resource`` filters. Simplification: an unknown environment gives an empty list.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from billing_portal.simulator.entities import (
    ApiKey,
    Environment,
    FlinkPool,
    KafkaCluster,
    KsqlCluster,
    SchemaRegistry,
    ServiceAccount,
    User,
)
from billing_portal.simulator.wire import pagination, tokens
from billing_portal.simulator.wire.context import RequestContext
from billing_portal.simulator.wire.envelopes import ApiError, Reply, bad_request, json_reply

DEFAULT_PAGE_SIZE = 10
ECKU_ORG_CREATED = datetime(2024, 6, 3, 9, 12, tzinfo=UTC)
MAX_PAGE_SIZE = 100


def ts(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


class Renderer:
    """Renders model objects with links on this simulator's base URL."""

    def __init__(self, ctx: RequestContext):
        self.ctx = ctx
        self.base = ctx.base_url
        self.org = ctx.model.organization
        self.crn_org = f"crn://confluent.cloud/organization={self.org.id}"

    def meta(self, self_path: str, crn_tail: str, created: datetime,
             updated: datetime | None = None) -> dict[str, str]:
        updated = updated or created + timedelta(hours=zlib.crc32(crn_tail.encode()) % 5000)
        return {"self": f"{self.base}{self_path}", "resource_name": f"{self.crn_org}/{crn_tail}",
                "created_at": ts(created), "updated_at": ts(updated)}

    def env_ref(self, env_id: str) -> dict[str, str]:
        return {"id": env_id, "related": f"{self.base}/org/v2/environments/{env_id}",
                "resource_name": f"{self.crn_org}/environment={env_id}"}

    def organization(self, _obj=None) -> dict[str, Any]:
        o = self.org
        # an org billed by eCKU was created after 2024-04-16; a legacy-billed one before
        created = o.created_at if self.ctx.state.config.billing_model == "legacy" else ECKU_ORG_CREATED
        return {"api_version": "org/v2", "kind": "Organization", "id": o.id,
                "metadata": self.meta(f"/org/v2/organizations/{o.id}", "", created) | {
                    "resource_name": self.crn_org},
                "display_name": o.display_name, "jit_enabled": False}

    def environment(self, e: Environment) -> dict[str, Any]:
        return {"api_version": "org/v2", "kind": "Environment", "id": e.id,
                "metadata": self.meta(f"/org/v2/environments/{e.id}", f"environment={e.id}", e.created_at),
                "display_name": e.display_name, "stream_governance_config": {"package": e.sg_package}}

    def kafka_cluster(self, c: KafkaCluster) -> dict[str, Any]:
        config: dict[str, Any] = {"kind": c.kind}
        status: dict[str, Any] = {"phase": "PROVISIONED"}
        if c.cku is not None:
            config["cku"] = c.cku
            status["cku"] = c.cku
        host = c.bootstrap_host
        return {"api_version": "cmk/v2", "kind": "Cluster", "id": c.id,
                "metadata": self.meta(f"/cmk/v2/clusters/{c.id}",
                                      f"environment={c.env_id}/cloud-cluster={c.id}", c.created_at),
                "spec": {"display_name": c.display_name, "availability": c.availability, "cloud": c.cloud,
                         "region": c.region, "config": config,
                         "kafka_bootstrap_endpoint": f"SASL_SSL://{host}:9092",
                         "http_endpoint": f"https://{host}:443",
                         "api_endpoint": f"https://pkac-{c.id[4:]}.{c.region}.{c.provider}.confluent.cloud",
                         "environment": self.env_ref(c.env_id)},
                "status": status}

    def service_account(self, s: ServiceAccount) -> dict[str, Any]:
        return {"api_version": "iam/v2", "kind": "ServiceAccount", "id": s.id,
                "metadata": self.meta(f"/iam/v2/service-accounts/{s.id}", f"service-account={s.id}", s.created_at,
                                      s.updated_at),
                "display_name": s.display_name, "description": s.description}

    def user(self, u: User) -> dict[str, Any]:
        return {"api_version": "iam/v2", "kind": "User", "id": u.id,
                "metadata": self.meta(f"/iam/v2/users/{u.id}", f"user={u.id}", u.created_at),
                "email": u.email, "full_name": u.full_name, "auth_type": "AUTH_TYPE_LOCAL"}

    def api_key(self, k: ApiKey) -> dict[str, Any]:
        owner_path = "service-accounts" if k.owner_kind == "ServiceAccount" else "users"
        owner_crn = "service-account" if k.owner_kind == "ServiceAccount" else "user"
        resource: dict[str, Any] = {"id": k.resource_id, "kind": k.resource_kind}
        if k.resource_kind == "Cluster":
            resource |= {"api_version": "cmk/v2", "environment": k.env_id,
                         "related": f"{self.base}/cmk/v2/clusters/{k.resource_id}?environment={k.env_id}",
                         "resource_name": f"{self.crn_org}/environment={k.env_id}/cloud-cluster={k.resource_id}"}
        elif k.resource_kind == "SchemaRegistry":
            resource |= {"api_version": "srcm/v3", "environment": k.env_id,
                         "related": f"{self.base}/srcm/v3/clusters/{k.resource_id}?environment={k.env_id}",
                         "resource_name": f"{self.crn_org}/environment={k.env_id}/schema-registry={k.resource_id}"}
        return {"api_version": "iam/v2", "kind": "ApiKey", "id": k.id,
                "metadata": self.meta(f"/iam/v2/api-keys/{k.id}", f"api-key={k.id}", k.created_at),
                "spec": {"display_name": k.display_name, "description": k.description,
                         "owner": {"id": k.owner_id, "api_version": "iam/v2", "kind": k.owner_kind,
                                   "related": f"{self.base}/iam/v2/{owner_path}/{k.owner_id}",
                                   "resource_name": f"{self.crn_org}/{owner_crn}={k.owner_id}"},
                         "resource": resource}}

    def ksqldb_cluster(self, k: KsqlCluster) -> dict[str, Any]:
        return {"api_version": "ksqldbcm/v2", "kind": "Cluster", "id": k.id,
                "metadata": self.meta(f"/ksqldbcm/v2/clusters/{k.id}",
                                      f"environment={k.env_id}/ksql={k.id}", k.created_at),
                "spec": {"display_name": k.display_name, "csu": k.csu, "use_detailed_processing_log": True,
                         "kafka_cluster": {"id": k.kafka_cluster_id, "environment": k.env_id,
                                           "related": f"{self.base}/cmk/v2/clusters/{k.kafka_cluster_id}",
                                           "resource_name": f"{self.crn_org}/environment={k.env_id}"
                                                            f"/cloud-cluster={k.kafka_cluster_id}"},
                         "credential_identity": {"id": k.credential_identity,
                                                 "related": f"{self.base}/iam/v2/service-accounts/"
                                                            f"{k.credential_identity}",
                                                 "resource_name": f"{self.crn_org}/service-account="
                                                                  f"{k.credential_identity}"},
                         "environment": self.env_ref(k.env_id)},
                "status": {"phase": "PROVISIONED", "http_endpoint": f"https://pksqlc-{k.id[7:]}.confluent.cloud",
                           "storage": 125 * k.csu}}

    def compute_pool(self, p: FlinkPool) -> dict[str, Any]:
        return {"api_version": "fcpm/v2", "kind": "ComputePool", "id": p.id,
                "metadata": self.meta(f"/fcpm/v2/compute-pools/{p.id}",
                                      f"environment={p.env_id}/flink-region={p.cloud.lower()}.{p.region}"
                                      f"/compute-pool={p.id}", p.created_at),
                "spec": {"display_name": p.display_name, "cloud": p.cloud, "region": p.region,
                         "max_cfu": p.max_cfu, "environment": self.env_ref(p.env_id)},
                "status": {"phase": "PROVISIONED", "current_cfu": max(1, p.max_cfu // 3)}}

    def schema_registry(self, s: SchemaRegistry) -> dict[str, Any]:
        # each registry at its own path of this simulator; its catalog at another (as live, the two differ)
        endpoint = f"{self.base}/sr/{s.id}"
        catalog = f"{self.base}/catalog-sr/{s.id}"
        return {"api_version": "srcm/v3", "kind": "Cluster", "id": s.id,
                "metadata": self.meta(f"/srcm/v3/clusters/{s.id}",
                                      f"environment={s.env_id}/schema-registry={s.id}", s.created_at),
                "spec": {"display_name": "Stream Governance Package", "package": s.package,
                         "http_endpoint": endpoint, "catalog_http_endpoint": catalog, "cloud": s.cloud,
                         "region": s.region, "environment": self.env_ref(s.env_id)},
                "status": {"phase": "PROVISIONED"}}


@dataclass(frozen=True)
class IdentityProvider:
    id: str
    display_name: str
    issuer: str


def identity_providers(ctx: RequestContext) -> list[IdentityProvider]:
    ids = sorted({p.provider_id for p in ctx.model.identity_pools if p.provider_id})
    return [IdentityProvider(i, "Corporate OIDC", f"https://login.{i}.example/") for i in ids]


def render_identity_provider(r: Renderer, p: IdentityProvider) -> dict[str, Any]:
    return {"api_version": "iam/v2", "kind": "IdentityProvider", "id": p.id,
            "metadata": r.meta(f"/iam/v2/identity-providers/{p.id}", f"identity-provider={p.id}",
                               r.org.created_at),
            "display_name": p.display_name, "description": "OIDC provider of the corporate SSO", "state": "ENABLED",
            "issuer": p.issuer, "jwks_uri": p.issuer + ".well-known/jwks.json"}


def render_identity_pool(r: Renderer, p) -> dict[str, Any]:
    return {"api_version": "iam/v2", "kind": "IdentityPool", "id": p.id,
            "metadata": r.meta(f"/iam/v2/identity-providers/{p.provider_id}/identity-pools/{p.id}",
                               f"identity-provider={p.provider_id}/identity-pool={p.id}", r.org.created_at),
            "display_name": p.display_name, "description": p.description, "identity_claim": p.identity_claim,
            "filter": p.filter, "principal": p.id, "state": "ENABLED"}


@dataclass(frozen=True)
class ListFamily:
    path: str
    api_version: str
    kind: str
    requires_environment: bool
    items: Callable[[RequestContext, str | None], list]
    render: Callable[[Renderer, Any], dict]


def _api_keys(ctx: RequestContext, _env: str | None) -> list[ApiKey]:
    owner = ctx.request.args.get("spec.owner")
    resource = ctx.request.args.get("spec.resource")
    return [k for k in ctx.view.api_keys
            if (owner is None or k.owner_id == owner) and (resource is None or k.resource_id == resource)]


FAMILIES = [
    ListFamily("/org/v2/organizations", "org/v2", "OrganizationList", False,
               lambda ctx, env: [ctx.model.organization], Renderer.organization),
    ListFamily("/org/v2/environments", "org/v2", "EnvironmentList", False,
               lambda ctx, env: ctx.model.environments, Renderer.environment),
    ListFamily("/cmk/v2/clusters", "cmk/v2", "ClusterList", True,
               lambda ctx, env: ctx.model.clusters_of(env), Renderer.kafka_cluster),
    ListFamily("/iam/v2/service-accounts", "iam/v2", "ServiceAccountList", False,
               lambda ctx, env: ctx.view.service_accounts, Renderer.service_account),
    ListFamily("/iam/v2/users", "iam/v2", "UserList", False, lambda ctx, env: ctx.model.users, Renderer.user),
    ListFamily("/iam/v2/api-keys", "iam/v2", "ApiKeyList", False, _api_keys, Renderer.api_key),
    ListFamily("/ksqldbcm/v2/clusters", "ksqldbcm/v2", "ClusterList", True,
               lambda ctx, env: [k for k in ctx.model.ksqldb_clusters if k.env_id == env], Renderer.ksqldb_cluster),
    ListFamily("/fcpm/v2/compute-pools", "fcpm/v2", "ComputePoolList", True,
               lambda ctx, env: [p for p in ctx.model.flink_pools if p.env_id == env], Renderer.compute_pool),
    ListFamily("/srcm/v3/clusters", "srcm/v3", "ClusterList", True,
               lambda ctx, env: [s for s in ctx.model.schema_registries if s.env_id == env],
               Renderer.schema_registry),
]


def _environment_param(ctx: RequestContext, family: ListFamily) -> str | None:
    env = ctx.request.args.get("environment")
    if family.requires_environment and not env:
        raise bad_request("Missing required query parameter: environment", "environment", code="invalid_filter")
    return env


def list_handler(family: ListFamily):
    def handle(ctx: RequestContext) -> Reply:
        env = _environment_param(ctx, family)
        items = family.items(ctx, env)
        size = pagination.page_size(ctx, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
        filters = sorted((k, v) for k, v in ctx.request.args.items(multi=True) if k not in ("page_size", "page_token"))
        digest = tokens.digest(family.path, filters)
        offset = pagination.offset_from(ctx, ctx.request.args.get("page_token"), digest)
        renderer = Renderer(ctx)
        page = items[offset: offset + size]
        metadata: dict[str, Any] = {"first": ctx.url_with(page_token=None)}
        if offset + size < len(items):
            metadata["next"] = ctx.url_with(page_token=pagination.issue(ctx, offset + size, digest))
        metadata["total_size"] = len(items)
        return json_reply({"api_version": family.api_version, "kind": family.kind, "metadata": metadata,
                           "data": [family.render(renderer, obj) for obj in page]})
    return handle


def get_handler(family: ListFamily):
    def handle(ctx: RequestContext, object_id: str) -> Reply:
        env = _environment_param(ctx, family)
        for obj in family.items(ctx, env):
            if getattr(obj, "id", None) == object_id:
                return json_reply(family.render(Renderer(ctx), obj))
        raise ApiError(404, "resource_not_found", f"The requested resource '{object_id}' was not found")
    return handle


def identity_pools(ctx: RequestContext, provider_id: str) -> Reply:
    if provider_id not in {p.id for p in identity_providers(ctx)}:
        raise ApiError(404, "resource_not_found", f"The requested resource '{provider_id}' was not found")
    family = ListFamily(f"/iam/v2/identity-providers/{provider_id}/identity-pools", "iam/v2", "IdentityPoolList",
                        False, lambda c, env: [p for p in c.model.identity_pools if p.provider_id == provider_id],
                        render_identity_pool)
    return list_handler(family)(ctx)


def certificate_pools(ctx: RequestContext, ca_id: str) -> Reply:
    raise ApiError(404, "resource_not_found", f"The requested resource '{ca_id}' was not found")


FAMILIES.append(ListFamily("/iam/v2/identity-providers", "iam/v2", "IdentityProviderList", False,
                           lambda ctx, env: identity_providers(ctx), render_identity_provider))
# mTLS identity pools hang off certificate authorities; this org has none
FAMILIES.append(ListFamily("/iam/v2/certificate-authorities", "iam/v2", "CertificateAuthorityList", False,
                           lambda ctx, env: [], lambda r, o: {}))

ROUTES = []
for _family in FAMILIES:
    ROUTES.append(("GET", _family.path, list_handler(_family)))
    ROUTES.append(("GET", _family.path + "/<object_id>", get_handler(_family)))
ROUTES += [("GET", "/iam/v2/identity-providers/<provider_id>/identity-pools", identity_pools),
           ("GET", "/iam/v2/certificate-authorities/<ca_id>/identity-pools", certificate_pools)]
