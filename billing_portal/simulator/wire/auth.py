"""HTTP Basic authentication as Confluent Cloud does it.

The Cloud key authenticates api.confluent.cloud-style paths and the telemetry API; the Schema Registry key
authenticates the Stream Catalog. A missing or wrong key → 401 with ``WWW-Authenticate: Basic error="invalid_key",
…`` and the realm's error envelope. A *restricted* key authenticates everywhere but answers 403 on the families it
lacks roles for, with the live body ``{"errors":[{"status":"403","code":"forbidden_access",…}]}`` (on the catalog:
``{"error_code":40301,"message":"User is denied operation …"}``, the Schema Registry's wording).
The regional Flink API (``/flink/{cloud}/{region}/…``) takes only that region's Flink key
(``testing.flink_credentials``): the Cloud key answers 401 there.
Each Schema Registry has its own key (``testing.sr_credentials``; the configured SR key also opens the first
environment's registry, which the root ``/catalog/v1`` serves): a registry's key is refused by the others (401).
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


def _scope_denied(ctx: RequestContext, rk) -> bool:
    """Whether the request is about an environment or Schema Registry the key may not read (metrics queries are
    checked against their filter by the telemetry handler)."""
    if not rk.denied_scopes:
        return False
    if ctx.realm == CATALOG:
        sr_id = ctx.registry_id or ctx.model.schema_registries[0].id
        sr = next((s for s in ctx.model.schema_registries if s.id == sr_id), None)
        return sr_id in rk.denied_scopes or (sr is not None and sr.env_id in rk.denied_scopes)
    env = ctx.request.args.get("environment")
    if env is None and ctx.path.startswith("/connect/v1/environments/"):
        env = ctx.path.split("/")[4]
    return env in rk.denied_scopes


def authenticate(ctx: RequestContext) -> str:
    """Returns the key id; raises the realm's 401/403 error."""
    cfg = ctx.state.config
    creds = credentials(ctx)
    if ctx.realm == CATALOG:
        from billing_portal.simulator.testing import sr_credentials

        sr_id = ctx.registry_id or ctx.model.schema_registries[0].id
        accepted = {sr_credentials(sr_id, cfg.sr_api_key, cfg.sr_api_secret)}
        if sr_id == ctx.model.schema_registries[0].id:
            accepted.add((cfg.sr_api_key, cfg.sr_api_secret))
        if creds in accepted:
            return creds[0]
    elif ctx.family == "flink":
        from billing_portal.simulator.testing import flink_credentials

        parts = ctx.path.split("/")  # /flink/{cloud}/{region}/…: the region's own Flink key, not the Cloud key
        if len(parts) > 3 and creds == flink_credentials(parts[2], parts[3], cfg.api_key, cfg.api_secret):
            return creds[0]
        raise ApiError(401, "unauthorized", "Invalid API Key or Secret" if creds else "Missing API Key",
                       title="Unauthorized", headers=[("WWW-Authenticate", WWW_AUTHENTICATE)])
    elif creds == (cfg.api_key, cfg.api_secret):
        return creds[0]
    for rk in cfg.restricted_keys:
        if creds == (rk.key, rk.secret):
            if ctx.family in rk.denied or _scope_denied(ctx, rk):
                if ctx.realm == CATALOG:
                    raise CatalogError(403, f"User is denied operation Read on resource {ctx.path}", 40301)
                raise ForbiddenError()
            ctx.restricted = rk
            return rk.key
    challenge = [("WWW-Authenticate", WWW_AUTHENTICATE)]
    if ctx.realm == CATALOG:
        raise CatalogError(401, "Unauthorized", 401, headers=challenge)
    raise ApiError(401, "unauthorized", "Invalid API Key or Secret" if creds else "Missing API Key",
                   title="Unauthorized", headers=challenge)
