"""HTTP Basic authentication as Confluent Cloud does it.

The Cloud key authenticates api.confluent.cloud-style paths and the telemetry API; the Schema Registry key
authenticates the Stream Catalog. A missing or wrong key → 401 with ``WWW-Authenticate: Basic error="invalid_key",
…`` and the realm's error envelope. A *restricted* key authenticates everywhere but answers 403 on the families it
lacks roles for, with the live body ``{"errors":[{"status":"403","code":"forbidden_access",…}]}`` (on the catalog:
``{"error_code":40301,"message":"User is denied operation …"}``, the Schema Registry's wording).
Simplification: one SR key serves every environment's Schema Registry (live, SR keys are per cluster).
"""

from __future__ import annotations

import base64
import binascii

from billing_portal.simulator.wire.context import CATALOG, RequestContext
from billing_portal.simulator.wire.envelopes import ApiError, CatalogError, ForbiddenError

WWW_AUTHENTICATE = 'Basic error="invalid_key", error_description="The API key or secret is invalid"'


def credentials(ctx: RequestContext) -> tuple[str, str] | None:
    header = ctx.request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic" or not value:
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    key, sep, secret = decoded.partition(":")
    return (key, secret) if sep else None


def authenticate(ctx: RequestContext) -> str:
    """Returns the key id; raises the realm's 401/403 error."""
    cfg = ctx.state.config
    creds = credentials(ctx)
    expected = (cfg.sr_api_key, cfg.sr_api_secret) if ctx.realm == CATALOG else (cfg.api_key, cfg.api_secret)
    if creds == expected:
        return creds[0]
    for rk in cfg.restricted_keys:
        if creds == (rk.key, rk.secret):
            if ctx.family in rk.denied:
                if ctx.realm == CATALOG:
                    raise CatalogError(403, f"User is denied operation Read on resource {ctx.path}", 40301)
                raise ForbiddenError()
            return rk.key
    challenge = [("WWW-Authenticate", WWW_AUTHENTICATE)]
    if ctx.realm == CATALOG:
        raise CatalogError(401, "Unauthorized", 401, headers=challenge)
    raise ApiError(401, "unauthorized", "Invalid API Key or Secret" if creds else "Missing API Key",
                   title="Unauthorized", headers=challenge)
