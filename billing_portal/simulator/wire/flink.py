"""The regional Flink SQL API: statements of an environment, as ``flink.{region}.{cloud}.confluent.cloud`` serves
them, at this simulator's ``/flink/{cloud}/{region}`` (the host of a region; ``testing.flink_endpoint``).

``GET /flink/{cloud}/{region}/sql/v1/organizations/{org}/environments/{env}/statements`` (``spec.compute_pool_id``
filter, ``page_size`` ≤ 100, default 10, ``page_token``; ``metadata.next`` a full URL) and ``…/statements/{name}``.
Only the statements on the region's pools, alive at the simulator's clock (a deleted statement vanishes). Bodies as
recorded live (terraform-provider-confluent ``internal/testdata/flink_statement/``): ``name``, ``organization_id``,
``environment_id``, ``metadata{self, created_at, updated_at, uid, resource_version}``, ``spec{compute_pool_id,
principal, properties, statement, stopped}``, ``status{phase, detail, …}``. Authenticated with the region's Flink
API key (``testing.flink_credentials``); a Cloud key answers 401, as live.
"""

from __future__ import annotations

from typing import Any

from billing_portal.simulator.flink import FlinkStatement
from billing_portal.simulator.wire import pagination, tokens
from billing_portal.simulator.wire.context import RequestContext
from billing_portal.simulator.wire.envelopes import ApiError, Reply, json_reply
from billing_portal.simulator.wire.objects import ts

DEFAULT_PAGE_SIZE = 10
MAX_PAGE_SIZE = 100
BASE = "/flink/<cloud>/<region>/sql/v1/organizations/<org_id>/environments/<env_id>/statements"


def _statements(ctx: RequestContext, cloud: str, region: str, org_id: str, env_id: str) -> list[FlinkStatement]:
    if org_id != ctx.model.organization.id:
        raise ApiError(404, "not_found", f"organization {org_id} not found")
    pools = {p.id for p in ctx.model.flink_pools
             if p.env_id == env_id and p.cloud.lower() == cloud.lower() and p.region == region}
    wanted = ctx.request.args.get("spec.compute_pool_id")
    now = ctx.state.clock()
    return [s for s in ctx.model.flink.listed(now, env_id=env_id)
            if s.compute_pool_id in pools and (wanted is None or s.compute_pool_id == wanted)]


def render(ctx: RequestContext, s: FlinkStatement, cloud: str, region: str) -> dict[str, Any]:
    path = (f"/flink/{cloud}/{region}/sql/v1/organizations/{s.org_id}/environments/{s.env_id}/statements/{s.name}")
    return {
        "api_version": "sql/v1", "kind": "Statement", "name": s.name, "organization_id": s.org_id,
        "environment_id": s.env_id,
        "metadata": {"self": ctx.base_url + path, "created_at": ts(s.created_at).replace(".000Z", "Z"),
                     "updated_at": ts(s.created_at).replace(".000Z", "Z"), "resource_version": "1", "uid": s.uid},
        "spec": {"compute_pool_id": s.compute_pool_id, "principal": s.principal,
                 "properties": {"sql.current-catalog": s.env_id, "sql.current-database": "default"},
                 "statement": s.sql, "stopped": s.stopped},
        "status": {"phase": "STOPPED" if s.stopped else "RUNNING", "detail": "", "latest_offsets": {},
                   "latest_offsets_timestamp": "0001-01-01T00:00:00Z"},
    }


def list_statements(ctx: RequestContext, cloud: str, region: str, org_id: str, env_id: str) -> Reply:
    items = _statements(ctx, cloud, region, org_id, env_id)
    size = pagination.page_size(ctx, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
    filters = sorted((k, v) for k, v in ctx.request.args.items(multi=True) if k not in ("page_size", "page_token"))
    digest = tokens.digest(ctx.path, filters)
    offset = pagination.offset_from(ctx, ctx.request.args.get("page_token"), digest)
    page = items[offset: offset + size]
    metadata: dict[str, Any] = {"self": ctx.url_with(page_token=None)}
    if offset + size < len(items):
        metadata["next"] = ctx.url_with(page_token=pagination.issue(ctx, offset + size, digest))
    return json_reply({"api_version": "sql/v1", "kind": "StatementList", "metadata": metadata,
                       "data": [render(ctx, s, cloud, region) for s in page]})


def get_statement(ctx: RequestContext, cloud: str, region: str, org_id: str, env_id: str, name: str) -> Reply:
    for s in _statements(ctx, cloud, region, org_id, env_id):
        if s.name == name:
            return json_reply(render(ctx, s, cloud, region))
    raise ApiError(404, "not_found", f"statement {name} not found")


ROUTES = [("GET", BASE, list_statements), ("GET", BASE + "/<name>", get_statement)]
