"""One JSON error envelope for every error the sidecar answers with.

```json
{"error": {"status": 400, "code": "invalid_parameter", "parameter": "from_ts", "message": "...",
           "details": [{"parameter": "from_ts", "message": "..."}]}}
```

`parameter` names the offending query parameter (or body field) when there is one, else it is null. Validation
errors from marshmallow/webargs (APIFlask's 422) are answered as 400 in this envelope; database outages as 503; any
unexpected exception as a 500 envelope without internals (logged server-side).
"""

from __future__ import annotations

import difflib
import logging
from typing import Any

import psycopg
from apiflask import APIFlask
from apiflask.exceptions import HTTPError
from flask import current_app, has_request_context, request
from psycopg_pool import PoolTimeout
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

# HTTP status → default machine-readable code.
DEFAULT_CODES = {
    400: "invalid_parameter",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "request_too_large",
    414: "uri_too_long",
    415: "unsupported_media_type",
    431: "headers_too_large",
    500: "internal_error",
    503: "service_unavailable",
}


class ApiError(HTTPError):
    """An error answered in the envelope: `raise ApiError(400, "...", parameter="from_ts")`."""

    def __init__(self, status: int, message: str, *, parameter: str | None = None, code: str | None = None,
                 headers: dict | None = None):
        super().__init__(status, message, headers=headers,
                         extra_data={"code": code or DEFAULT_CODES.get(status, "error"), "parameter": parameter})


def bad_parameter(parameter: str, message: str, code: str = "invalid_parameter") -> ApiError:
    return ApiError(400, message, parameter=parameter, code=code)


def envelope(status: int, message: str, *, code: str | None = None, parameter: str | None = None,
             details: list[dict] | None = None) -> dict:
    body: dict[str, Any] = {"status": status, "code": code or DEFAULT_CODES.get(status, "error"),
                            "parameter": parameter, "message": message}
    if details:
        body["details"] = details
    return {"error": body}


def _flatten(messages: Any, prefix: str = "") -> list[dict]:
    """webargs' nested {location: {field: [msg] | {index: [msg]}}} → [{"parameter", "message"}]."""
    out: list[dict] = []
    if isinstance(messages, dict):
        for key, value in messages.items():
            key = str(key)
            if key in ("query", "json", "view_args", "path", "headers", "form", "files", "cookies") and not prefix:
                out.extend(_flatten(value, ""))
            elif key == "_schema":
                out.extend(_flatten(value, prefix))
            elif key.isdigit() and prefix:
                out.extend(_flatten(value, prefix))  # an item of a list parameter: name the parameter
            else:
                out.extend(_flatten(value, f"{prefix}.{key}" if prefix else key))
    elif isinstance(messages, (list, tuple)):
        if all(isinstance(m, str) for m in messages):
            out.append({"parameter": prefix or None, "message": " ".join(messages)})
        else:
            for m in messages:
                out.extend(_flatten(m, prefix))
    else:
        out.append({"parameter": prefix or None, "message": str(messages)})
    return out


# Names people use for a parameter → the API's name (suggested only where the endpoint accepts it).
SYNONYMS = {
    "start": "from_ts", "end": "to_ts", "from": "from_ts", "to": "to_ts", "since": "from_ts", "until": "to_ts",
    "begin": "from_ts", "start_ts": "from_ts", "end_ts": "to_ts", "start_date": "from_ts", "end_date": "to_ts",
    "from_date": "from_ts", "to_date": "to_ts", "start_time": "from_ts", "end_time": "to_ts",
    "principal": "principal_id", "org": "org_id", "organization": "org_id", "env": "env_id",
    "environment": "env_id", "cluster": "cluster_id", "resource": "resource_id", "bu": "business_unit",
    "groupby": "group_by", "group": "group_by", "page_size": "limit", "size": "limit", "page": "cursor",
}


def accepted_parameters() -> list[str]:
    """The query parameters of the endpoint being answered (from its marshmallow schema), [] outside a request."""
    if not has_request_context() or request.endpoint is None:
        return []
    view = current_app.view_functions.get(request.endpoint)
    names: list[str] = []
    for schema, location in (getattr(view, "_spec", {}) or {}).get("args", []):
        if location == "query":
            names.extend(f.data_key or n for n, f in schema.fields.items())
    return names


def suggest(name: str, accepted: list[str]) -> str | None:
    """The accepted parameter a client most likely meant by `name`."""
    target = SYNONYMS.get(name.lower())
    if target in accepted:
        return target
    if name.lower() in accepted:
        return name.lower()
    close = difflib.get_close_matches(name, accepted, n=1, cutoff=0.75)
    return close[0] if close else None


def _validation_envelope(error: HTTPError) -> dict:
    details = _flatten(error.detail or {})
    accepted = accepted_parameters()
    for d in details:
        if d["message"] == "Unknown field.":
            hint = suggest(d["parameter"] or "", accepted)
            d["message"] = (f"unknown parameter {d['parameter']!r}; did you mean {hint!r}?" if hint else
                            f"unknown parameter {d['parameter']!r} (see /openapi.json for the accepted ones)")
            d["code"] = "unknown_parameter"
    # An unknown parameter first: a misnamed one is usually why another is "missing" (start= for from_ts=).
    details.sort(key=lambda d: d.get("code") != "unknown_parameter")
    first = details[0] if details else {"parameter": None, "message": "invalid request"}
    code = first.get("code", "invalid_parameter")
    message = first["message"]
    if first["parameter"] and first["parameter"] not in message:
        message = f"{first['parameter']}: {message}"
    return envelope(400, message, code=code, parameter=first["parameter"],
                    details=[{"parameter": d["parameter"], "message": d["message"]} for d in details])


def register_error_handlers(app: APIFlask) -> None:
    """Route every error through the envelope."""

    @app.error_processor
    def _process(error: HTTPError):
        status = error.status_code
        if status in (400, 422) and isinstance(error.detail, dict) and error.detail:
            return _validation_envelope(error), 400, error.headers
        extra = error.extra_data or {}
        message = error.message if isinstance(error.message, str) else str(error.message)
        if status == 405:
            message = "method not allowed on this path"
        elif status == 404 and message == "Not Found":
            message = "no such path (see /openapi.json)"
        return envelope(status, message, code=extra.get("code"), parameter=extra.get("parameter")), status, \
            error.headers

    @app.errorhandler(PoolTimeout)
    def _pool_timeout(exc):
        log.warning("database unavailable: %s", exc)
        return envelope(503, "the warehouse database is not reachable", code="database_unavailable"), 503

    @app.errorhandler(psycopg.OperationalError)
    def _db_operational(exc):
        if isinstance(exc, psycopg.errors.QueryCanceled):
            return envelope(503, "the query took too long: narrow the time range or the grouping",
                            code="query_timeout"), 503
        log.warning("database error: %s", type(exc).__name__)
        return envelope(503, "the warehouse database is not reachable", code="database_unavailable"), 503

    @app.errorhandler(Exception)
    def _unexpected(exc):
        if isinstance(exc, HTTPException):  # werkzeug errors raised outside APIFlask's handler
            status = exc.code or 500
            return envelope(status, exc.description or exc.name), status
        log.exception("unhandled error")
        return envelope(500, "internal error (logged on the server)"), 500
