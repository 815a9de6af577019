"""Bearer-token protection of the mutating collect API.

- No BILLING_PORTAL_API_TOKEN configured → 403 `collect_disabled`, saying how to enable it.
- Missing, malformed or wrong `Authorization: Bearer <token>` → 401 `unauthorized` with `WWW-Authenticate`.
The comparison is constant-time (`hmac.compare_digest`); the token is never logged or echoed.
"""

from __future__ import annotations

import hmac
from functools import wraps

from flask import current_app, request

from billing_portal.sidecar.errors import ApiError

CONFIG_KEY = "BILLING_PORTAL_API_TOKEN"
SCHEME_NAME = "BearerAuth"
SECURITY_SCHEMES = {SCHEME_NAME: {"type": "http", "scheme": "bearer",
                                  "description": "The value of BILLING_PORTAL_API_TOKEN."}}
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="billing-portal"'}


def check_token() -> None:
    expected: bytes | None = current_app.config.get(CONFIG_KEY)
    if not expected:
        raise ApiError(403, "the collect API is disabled: set BILLING_PORTAL_API_TOKEN in the sidecar's environment "
                            "(or .env) and send it as 'Authorization: Bearer <token>'", code="collect_disabled")
    header = request.headers.get("Authorization", "")
    scheme, _, supplied = header.partition(" ")
    if scheme.lower() != "bearer" or not supplied.strip():
        raise ApiError(401, "missing bearer token: send 'Authorization: Bearer <BILLING_PORTAL_API_TOKEN>'",
                       code="unauthorized", headers=CHALLENGE)
    if not hmac.compare_digest(supplied.strip().encode("utf-8", "surrogateescape"), expected):
        raise ApiError(401, "invalid bearer token", code="unauthorized", headers=CHALLENGE)


def require_token(view):
    """Check the bearer token before anything else (parameters of unauthenticated calls are not even parsed)."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        check_token()
        return view(*args, **kwargs)

    return wrapper
