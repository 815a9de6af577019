"""Offset pagination behind opaque tokens, shared by the list envelopes, billing and the telemetry API.

``page_size`` is validated against the endpoint's maximum (400 beyond it, as a list call with a bad parameter
does live); ``page_token`` must belong to the same query (same path and filters) — a token from another query or a
mangled one is a 400 ``invalid_page_token``. Tokens handed out are recorded so the ``token-expiry`` fault can
refuse them once they are older than its ``after=`` seconds.
"""

from __future__ import annotations

from billing_portal.simulator.wire import tokens
from billing_portal.simulator.wire.context import RequestContext
from billing_portal.simulator.wire.envelopes import ApiError, bad_request


def page_size(ctx: RequestContext, default: int, maximum: int) -> int:
    raw = ctx.request.args.get("page_size")
    if raw is None or raw == "":
        return default
    try:
        size = int(raw)
    except ValueError:
        raise bad_request(f"page_size must be an integer, got {raw!r}", "page_size") from None
    if not 1 <= size <= maximum:
        raise bad_request(f"page_size must be between 1 and {maximum}", "page_size")
    return size


def check_expiry(ctx: RequestContext, token: str) -> None:
    for fault in ctx.state.faults.matching("token-expiry", ctx.path):
        age = ctx.state.tokens.age(token)
        if age is not None and age > fault.params["after"]:
            if ctx.state.faults.take(("token-expiry",), ctx.path) is None:
                continue
            status = int(fault.params["status"])
            raise ApiError(status, "invalid_page_token" if status == 400 else "page_token_expired",
                           "The page token has expired; restart the listing from the first page",
                           source={"parameter": "page_token"})


def offset_from(ctx: RequestContext, token: str | None, query_digest: str) -> int:
    if token is None:
        return 0
    check_expiry(ctx, token)
    offset = tokens.decode(token, query_digest)
    if offset is None:
        raise bad_request("invalid page token", "page_token", code="invalid_page_token")
    return offset


def issue(ctx: RequestContext, offset: int, query_digest: str) -> str:
    token = tokens.encode(offset, query_digest)
    ctx.state.tokens.issued(token)
    return token
