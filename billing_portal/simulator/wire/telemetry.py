"""Metrics API v2: ``POST /v2/metrics/{dataset}/query[?page_token=…]`` (dataset ``cloud``).

Wire format (FLAT, the default): ``{"data":[{"timestamp":"2024-05-01T01:00:00.000Z","metric.principal_id":"sa-…",
"value":9246.0},…],"meta":{"pagination":{"page_size":N,"next_page_token":"…"}}}`` — ``next_page_token`` only when
more groups follow; the next page is the *identical* body POSTed with ``?page_token=TOKEN`` (a token used with a
different body is a 400). Rows grouped by ``metric.principal_id`` of a user also carry ``principal_name`` (live rows
may carry extra keys). GROUPED: ``{"data":[{<labels>,"points":[{"timestamp","value"},…]}],"meta":…}``.
Live flavor, as the live API answers: timestamps without milliseconds, zero-valued points for the hours a group had
no activity, no ``meta`` on the last page, two ``rateLimit-*`` header sets; a key denied some environments gets a
403 for a query on their clusters. ``request_bytes``/``response_bytes`` carry ``metric.type`` (Produce / Fetch).
See ``simulator/metrics.py`` for the query semantics.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson

from billing_portal.simulator import metrics
from billing_portal.simulator.wire import pagination, tokens
from billing_portal.simulator.wire.context import RequestContext
from billing_portal.simulator.wire.envelopes import ApiError, Reply, bad_request, json_reply


def _groups(ctx: RequestContext, query: metrics.MetricQuery, digest: str, now: datetime) -> list[metrics.Group]:
    cutoff = now.replace(minute=0, second=0, microsecond=0)
    retention = ctx.state.config.metrics_retention_days
    live = ctx.state.config.flavor == "live"
    return ctx.state.metrics_cache.get((digest, cutoff), lambda: metrics.evaluate(ctx.model, query, now, retention,
                                                                                  zero_points=live))


def _check_authorized(ctx: RequestContext, query: metrics.MetricQuery) -> None:
    """A key denied some environments may only query their clusters' metrics: live answers 403."""
    rk = ctx.restricted
    if rk is None or not getattr(rk, "denied_scopes", None):
        return
    for label, resources in ((metrics.KAFKA_ID, ctx.model.kafka_clusters),
                             (metrics.COMPUTE_POOL, ctx.model.flink_pools)):
        named = metrics.filter_values(query.filter, label)
        denied = {r.id for r in resources if r.env_id in rk.denied_scopes}
        if named and named <= denied:
            raise ApiError(403, "forbidden_access", "Query must filter by at least one of your authorized resources")
        if named & denied:
            raise ApiError(403, "forbidden_access", f"Forbidden access to {label} {sorted(named & denied)[0]}")


def _rows(ctx: RequestContext, groups: list[metrics.Group], fmt: str) -> list[dict[str, Any]]:
    users = ctx.model.user_by_id
    millis = ctx.state.config.flavor != "live"
    out: list[dict[str, Any]] = []
    for group in groups:
        labels = dict(group.labels)
        extra = {}
        user = users.get(labels.get(metrics.PRINCIPAL, ""))
        if user is not None:
            extra["principal_name"] = user.full_name
        if fmt == "GROUPED":
            out.append({**labels, **extra, "points": [{"timestamp": metrics.timestamp(t, millis), "value": v}
                                                      for t, v in zip(group.timestamps, group.values, strict=True)]})
            continue
        for t, v in zip(group.timestamps, group.values, strict=True):
            row: dict[str, Any] = {"timestamp": metrics.timestamp(t, millis)}
            row.update(labels)
            row.update(extra)
            row["value"] = v
            out.append(row)
    return out


def query(ctx: RequestContext, dataset: str) -> Reply:
    if dataset != "cloud":
        raise ApiError(404, "not_found", f"unknown dataset {dataset!r}; this simulator serves 'cloud'")
    try:
        body = orjson.loads(ctx.request.get_data() or b"null")
    except orjson.JSONDecodeError as exc:
        raise bad_request(f"request body is not valid JSON: {exc}") from None
    now = ctx.state.clock()
    try:
        q = metrics.parse_query(body, now)
    except metrics.QueryError as exc:
        source = {"parameter": exc.parameter} if exc.parameter else None
        raise ApiError(400, exc.code, exc.detail, source=source) from None
    _check_authorized(ctx, q)
    digest = tokens.digest("metrics", orjson.dumps(body, option=orjson.OPT_SORT_KEYS).decode())
    offset = pagination.offset_from(ctx, ctx.request.args.get("page_token"), digest)
    groups = _groups(ctx, q, digest, now)
    page = groups[offset: offset + q.limit]
    pagination_meta: dict[str, Any] = {"page_size": q.limit}
    if offset + q.limit < len(groups):
        pagination_meta["next_page_token"] = pagination.issue(ctx, offset + q.limit, digest)
    elif ctx.state.config.flavor == "live":
        return json_reply({"data": _rows(ctx, page, q.format)})  # live: the last page may carry no `meta` at all
    return json_reply({"data": _rows(ctx, page, q.format), "meta": {"pagination": pagination_meta}})


EXPORT_RESOURCE_PARAMS = ("resource.kafka.id", "resource.connector.id", "resource.ksql.id",
                          "resource.schema_registry.id", "resource.compute_pool.id")


def export(ctx: RequestContext, dataset: str) -> Reply:
    """``GET /v2/metrics/cloud/export``: the latest point per series (see simulator/export.py)."""
    from billing_portal.simulator.export import render_export

    if dataset != "cloud":
        raise ApiError(404, "not_found", f"unknown dataset {dataset!r}; this simulator serves 'cloud'")
    args = ctx.request.args
    if not any(args.getlist(p) for p in EXPORT_RESOURCE_PARAMS):
        raise bad_request("at least one resource filter is required, e.g. resource.kafka.id=lkc-…",
                          "resource.kafka.id")
    clusters = args.getlist("resource.kafka.id")
    openmetrics = "application/openmetrics-text" in (ctx.request.headers.get("Accept") or "")
    body = render_export(ctx.model, clusters, ctx.state.clock(), openmetrics)
    ctype = ("application/openmetrics-text; version=1.0.0; charset=utf-8" if openmetrics
             else "text/plain; version=0.0.4; charset=utf-8")
    return Reply(200, body.encode(), content_type=ctype)


ROUTES = [("POST", "/v2/metrics/<dataset>/query", query), ("GET", "/v2/metrics/<dataset>/export", export)]
