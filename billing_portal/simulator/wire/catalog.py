"""Stream Catalog endpoints (Schema Registry host; Basic auth with the Schema Registry key).

Faithful: ``GET /catalog/v1/search/basic?type=…&limit=…&offset=…`` (``types=`` tolerated, offset/limit paging,
no token; ``query=`` filters on the name), ``GET /catalog/v1/entity/type/{type}/name/{qualifiedName}/tags`` and
``…/businessmetadata``, ``GET /catalog/v1/types/tagdefs`` and ``…/businessmetadatadefs``; errors in the
``{"error_code":…, "message":…}`` envelope. A bare ``lkc-…`` (no ``lsrc-…:`` prefix) as qualified name matches
nothing and returns ``[]``, as live; an unknown qualified name is a 404. In the live flavor an empty search result
has no ``entities`` key at all (Atlas omits it).
Simplification: every environment's Schema Registry points at this one host, so a search returns the entities of
all of them (qualified names carry the ``lsrc`` id, so they never collide).
"""

from __future__ import annotations

from typing import Any

from billing_portal.simulator import catalog as cat
from billing_portal.simulator.wire.context import RequestContext
from billing_portal.simulator.wire.envelopes import CatalogError, Reply, json_reply

DEFAULT_LIMIT = 100
MAX_LIMIT = 10000


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


def search_basic(ctx: RequestContext) -> Reply:
    catalog = cat.build_catalog(ctx.model)
    types = {t.strip() for raw in ctx.request.args.getlist("type") + ctx.request.args.getlist("types")
             for t in raw.split(",") if t.strip()}
    limit = _int_param(ctx, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    offset = _int_param(ctx, "offset", 0, 0, 10**9)
    text = (ctx.request.args.get("query") or "").strip().lower()
    matches = [e for e in catalog.entities
               if (not types or e.type_name in types) and (not text or text in e.display_text.lower())]
    params: dict[str, Any] = {"excludeDeletedEntities": True, "includeClassificationAttributes": True,
                              "includeSubTypes": True, "includeSubClassifications": True, "limit": limit,
                              "offset": offset}
    if len(types) == 1:
        params["typeName"] = next(iter(types))
    if text:
        params["query"] = text
    doc: dict[str, Any] = {"queryType": "BASIC", "searchParameters": params}
    page = matches[offset: offset + limit]
    if page or ctx.state.config.flavor == "spec":
        doc["entities"] = [e.search_doc() for e in page]
    return json_reply(doc)


def _entity(ctx: RequestContext, type_name: str, qualified_name: str) -> cat.CatalogEntity | None:
    if ":" not in qualified_name:
        return None  # a bare lkc-… is not a qualified name: live returns nothing
    entity = cat.build_catalog(ctx.model).by_name.get((type_name, qualified_name))
    if entity is None:
        raise CatalogError(404, f"Instance {type_name} with unique attribute {{qualifiedName={qualified_name}}} "
                                "does not exist", 4040)
    return entity


def entity_tags(ctx: RequestContext, type_name: str, qualified_name: str) -> Reply:
    entity = _entity(ctx, type_name, qualified_name)
    return json_reply([] if entity is None else [entity.tag_doc(t) for t in entity.tags])


def entity_business_metadata(ctx: RequestContext, type_name: str, qualified_name: str) -> Reply:
    entity = _entity(ctx, type_name, qualified_name)
    if entity is None or not entity.business_metadata:
        return json_reply([])
    return json_reply([{"typeName": cat.BM_NAME, "attributes": dict(entity.business_metadata),
                        "entityGuid": entity.guid, "entityType": entity.type_name,
                        "entityName": entity.qualified_name}])


def tagdefs(ctx: RequestContext) -> Reply:
    return json_reply(cat.tagdefs(cat.build_catalog(ctx.model)))


def businessmetadatadefs(ctx: RequestContext) -> Reply:
    return json_reply(cat.businessmetadatadefs())


ROUTES = [
    ("GET", "/catalog/v1/search/basic", search_basic),
    ("GET", "/catalog/v1/entity/type/<type_name>/name/<path:qualified_name>/tags", entity_tags),
    ("GET", "/catalog/v1/entity/type/<type_name>/name/<path:qualified_name>/businessmetadata",
     entity_business_metadata),
    ("GET", "/catalog/v1/types/tagdefs", tagdefs),
    ("GET", "/catalog/v1/types/businessmetadatadefs", businessmetadatadefs),
]
