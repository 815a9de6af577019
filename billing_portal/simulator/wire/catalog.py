"""Stream Catalog endpoints (Schema Registry host; Basic auth with the Schema Registry key).

Faithful: ``GET /catalog/v1/search/basic?type=…&limit=…&offset=…`` (``types=`` tolerated, offset/limit paging,
no token; ``query=`` filters on the name), ``GET /catalog/v1/entity/type/{type}/name/{qualifiedName}/tags`` and
``…/businessmetadata``, ``GET /catalog/v1/types/tagdefs`` and ``…/businessmetadatadefs``; errors in the
``{"error_code":…, "message":…}`` envelope. A bare ``lkc-…`` (no ``lsrc-…:`` prefix) as qualified name matches
nothing and returns ``[]``, as live; an unknown qualified name is a 404. In the live flavor an empty search result
has no ``entities`` key at all (Atlas omits it).
Each environment's Schema Registry serves its own catalog under its ``catalog_http_endpoint``
(``{base}/catalog-sr/{lsrc-id}``), authenticated by that registry's own key (``testing.sr_credentials``), as live:
a search there returns that registry's entities only. The root ``/catalog/v1/…`` is the first environment's registry
(with the simulator's single SR key), for a one-registry setup. ``limit`` is capped at 500 (more is answered with at
most 500 entities, so a client that asks for more and stops at a short page misses entities). Tags come inline in
search results (``classificationNames``, ``classifications``); business metadata exists only on ADVANCED registries
(an ESSENTIALS registry has no business-metadata definitions).
"""

from __future__ import annotations

from typing import Any

from billing_portal.simulator import catalog as cat
from billing_portal.simulator.wire.context import RequestContext
from billing_portal.simulator.wire.envelopes import CatalogError, Reply, json_reply

DEFAULT_LIMIT = 100
MAX_LIMIT = 10000
LIMIT_CAP = 500  # live: at most 500 entities per search page whatever `limit` asks for


def registry_of(ctx: RequestContext, sr_id: str | None):
    """The Schema Registry a catalog request is for (None in the path: the first environment's)."""
    if sr_id is None:
        return ctx.model.schema_registries[0]
    for sr in ctx.model.schema_registries:
        if sr.id == sr_id:
            return sr
    raise CatalogError(404, "HTTP 404 Not Found")


def _int_param(ctx: RequestContext, name: str, default: int, low: int, high: int) -> int:
    raw = ctx.request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise CatalogError(400, f"{name} must be an integer") from None
    if not low <= value <= high:
        raise CatalogError(400, f"{name} must be between {low} and {high}")
    return value


def search_basic(ctx: RequestContext, sr_id: str | None = None) -> Reply:
    sr = registry_of(ctx, sr_id)
    catalog = cat.build_catalog(ctx.model)
    types = {t.strip() for raw in ctx.request.args.getlist("type") + ctx.request.args.getlist("types")
             for t in raw.split(",") if t.strip()}
    limit = _int_param(ctx, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    offset = _int_param(ctx, "offset", 0, 0, 10**9)
    text = (ctx.request.args.get("query") or "").strip().lower()
    matches = [e for e in catalog.of(sr.id)
               if (not types or e.type_name in types) and (not text or text in e.display_text.lower())]
    params: dict[str, Any] = {"excludeDeletedEntities": True, "includeClassificationAttributes": True,
                              "includeSubTypes": True, "includeSubClassifications": True, "limit": limit,
                              "offset": offset}
    if len(types) == 1:
        params["typeName"] = next(iter(types))
    if text:
        params["query"] = text
    doc: dict[str, Any] = {"queryType": "BASIC", "searchParameters": params}
    page = matches[offset: offset + min(limit, LIMIT_CAP)]
    if page or ctx.state.config.flavor == "spec":
        doc["entities"] = [e.search_doc() for e in page]
    return json_reply(doc)


def _entity(ctx: RequestContext, type_name: str, qualified_name: str,
            sr_id: str | None = None) -> cat.CatalogEntity | None:
    sr = registry_of(ctx, sr_id)
    if ":" not in qualified_name:
        return None  # a bare lkc-… is not a qualified name: live returns nothing
    entity = cat.build_catalog(ctx.model).by_name.get((type_name, qualified_name))
    if entity is None or entity.sr_id != sr.id:
        raise CatalogError(404, f"Instance {type_name} with unique attribute {{qualifiedName={qualified_name}}} "
                                "does not exist", 4040)
    return entity


def entity_tags(ctx: RequestContext, type_name: str, qualified_name: str, sr_id: str | None = None) -> Reply:
    entity = _entity(ctx, type_name, qualified_name, sr_id)
    return json_reply([] if entity is None else [entity.tag_doc(t) for t in entity.tags])


def entity_business_metadata(ctx: RequestContext, type_name: str, qualified_name: str,
                             sr_id: str | None = None) -> Reply:
    entity = _entity(ctx, type_name, qualified_name, sr_id)
    if entity is None or not entity.business_metadata:
        return json_reply([])
    return json_reply([{"typeName": cat.BM_NAME, "attributes": dict(entity.business_metadata),
                        "entityGuid": entity.guid, "entityType": entity.type_name,
                        "entityName": entity.qualified_name}])


def tagdefs(ctx: RequestContext, sr_id: str | None = None) -> Reply:
    registry_of(ctx, sr_id)
    return json_reply(cat.tagdefs(cat.build_catalog(ctx.model)))


def businessmetadatadefs(ctx: RequestContext, sr_id: str | None = None) -> Reply:
    sr = registry_of(ctx, sr_id)
    return json_reply(cat.businessmetadatadefs() if sr.package == "ADVANCED" else [])


_PATHS = [
    ("/catalog/v1/search/basic", search_basic),
    ("/catalog/v1/entity/type/<type_name>/name/<path:qualified_name>/tags", entity_tags),
    ("/catalog/v1/entity/type/<type_name>/name/<path:qualified_name>/businessmetadata", entity_business_metadata),
    ("/catalog/v1/types/tagdefs", tagdefs),
    ("/catalog/v1/types/businessmetadatadefs", businessmetadatadefs),
]
REGISTRY_PREFIX = "/catalog-sr/<sr_id>"
ROUTES = [("GET", path, fn) for path, fn in _PATHS] + [("GET", REGISTRY_PREFIX + path, fn) for path, fn in _PATHS]
