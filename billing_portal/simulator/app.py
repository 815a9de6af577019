"""The WSGI application: routing, authentication, rate limits and faults around the per-family handlers.

Per request: an ``X-Request-Id`` (every response); request faults (429/5xx/reset/slow/truncate/bad-json) are drawn
first, as a gateway would; then Basic auth (401/403 in the realm's envelope); rate-limit accounting and headers
(``X-RateLimit-*`` on api paths, ``rateLimit-*`` on telemetry, 429 + ``Retry-After`` when an enforced limit is
exceeded); then the handler. Unknown paths → 404 in the realm's envelope, wrong method → 405.
"""

from __future__ import annotations

import logging
import socket
import struct
import threading
import uuid
from collections import deque

from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request

from billing_portal.simulator.faults import REQUEST_KINDS, Fault
from billing_portal.simulator.state import SimulatorState
from billing_portal.simulator.wire import (
    auth,
    catalog,
    connectors,
    control,
    costs,
    flink,
    objects,
    ratelimit,
    telemetry,
)
from billing_portal.simulator.wire.context import API, CATALOG, CONTROL, TELEMETRY, RequestContext, family_of, realm_of
from billing_portal.simulator.wire.envelopes import ApiError, CatalogError, Reply, json_reply

log = logging.getLogger("billing_portal.simulator")

ROUTE_TABLES = (objects.ROUTES, connectors.ROUTES, costs.ROUTES, telemetry.ROUTES, catalog.ROUTES, control.ROUTES,
                flink.ROUTES)
HTML_ERROR_PAGE = (b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
                   b"<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n")


class _DropConnection(Exception):
    pass


def _error(ctx: RequestContext, status: int, code: str, detail: str,
           headers: list[tuple[str, str]] | None = None) -> Exception:
    if ctx.realm == CATALOG:
        return CatalogError(status, detail, headers=headers)
    return ApiError(status, code, detail, headers=headers)


class SimulatorApp:
    def __init__(self, state: SimulatorState):
        self.state = state
        rules = [Rule(path, methods=[method], endpoint=handler)
                 for table in ROUTE_TABLES for method, path, handler in table]
        self.url_map = Map(rules, strict_slashes=False, merge_slashes=False)
        self.request_log: deque[tuple[str, str, int]] = deque(maxlen=10_000)
        self._log_lock = threading.Lock()

    # -----------------------------------------------------------------------------------------------------------
    def __call__(self, environ, start_response):
        request = Request(environ)
        request_id = str(uuid.uuid4())
        realm = realm_of(request.path)
        ctx = RequestContext(request, self.state, request_id, realm, family_of(request.path, realm))
        try:
            reply = self.handle(ctx)
        except _DropConnection:
            self._record(request, 0)
            return self._drop(environ, start_response)
        headers = [("X-Request-Id", request_id), ("Content-Type", reply.content_type),
                   ("Content-Length", str(len(reply.body))), *reply.headers]
        self._record(request, reply.status)
        start_response(reply.status_line, headers)
        return [reply.body]

    def recorded_requests(self, clear: bool = False) -> list[tuple[str, str, int]]:
        """(method, path?query, status) of the requests served so far, oldest first (0 = connection dropped)."""
        with self._log_lock:
            out = list(self.request_log)
            if clear:
                self.request_log.clear()
            return out

    def _record(self, request: Request, status: int) -> None:
        with self._log_lock:
            self.request_log.append((request.method, request.full_path.rstrip("?"), status))
        log.debug("%s %s -> %s", request.method, request.full_path, status or "dropped")

    def handle(self, ctx: RequestContext) -> Reply:
        adapter = self.url_map.bind_to_environ(ctx.request.environ)
        if ctx.realm == CONTROL:
            try:
                return self._dispatch(ctx, adapter)
            except ApiError as exc:
                return exc.reply(ctx.request_id)
        fault = self.state.faults.take(REQUEST_KINDS, ctx.path)
        if fault is not None:
            early = self._apply_request_fault(ctx, fault)
            if early is not None:
                return early
        rate_headers: list[tuple[str, str]] = []
        try:
            key = auth.authenticate(ctx)
            bucket = {API: "api", TELEMETRY: "telemetry"}.get(ctx.realm)
            if bucket is not None:
                rate = self.state.limiter.hit(bucket, key)
                ctx.key_id = key
                rate_headers = ratelimit.headers(bucket, rate, two_sets=self.state.config.flavor == "live")
                if rate.exceeded:
                    raise _error(ctx, 429, "too_many_requests", "Too Many Requests",
                                 headers=[("Retry-After", str(rate.reset))])
            reply = self._dispatch(ctx, adapter)
        except ApiError as exc:
            reply = exc.reply(ctx.request_id)
        except CatalogError as exc:
            reply = exc.reply(ctx.request_id)
        reply.headers.extend(rate_headers)
        if fault is not None and fault.kind in ("truncate", "bad-json"):
            reply = self._mangle(reply, fault)
        return reply

    def _dispatch(self, ctx: RequestContext, adapter) -> Reply:
        try:
            handler, args = adapter.match()
        except MethodNotAllowed:
            raise _error(ctx, 405, "method_not_allowed", f"Method {ctx.request.method} not allowed") from None
        except NotFound:
            if ctx.realm == CATALOG:
                raise CatalogError(404, "HTTP 404 Not Found") from None
            if ctx.realm == CONTROL:
                return json_reply({"error": "not found"}, 404)
            raise ApiError(404, "not_found", f"The requested path {ctx.path} was not found") from None
        return handler(ctx, **args)

    # ---- faults -----------------------------------------------------------------------------------------------
    def _apply_request_fault(self, ctx: RequestContext, fault: Fault) -> Reply | None:
        if fault.kind == "reset":
            raise _DropConnection()
        if fault.kind == "slow":
            self.state.stop_event.wait(float(fault.params["seconds"]))
            return None
        if fault.kind == "429":
            retry = int(fault.params["retry_after"])
            bucket = "telemetry" if ctx.realm == TELEMETRY else "api"
            limit = self.state.limiter.hit(bucket, "fault").limit
            headers = [("Retry-After", str(retry))]
            headers += ratelimit.headers(bucket, ratelimit.RateState(limit, 0, retry, True))
            exc = _error(ctx, 429, "too_many_requests", "Too Many Requests", headers=headers)
            return exc.reply(ctx.request_id)
        if fault.kind == "5xx":
            status = int(fault.params["status"])
            reply = _error(ctx, status, "internal_error" if status == 500 else "service_unavailable",
                           "The service is temporarily unavailable, please retry")
            return reply.reply(ctx.request_id)
        return None  # truncate / bad-json act on the finished reply

    @staticmethod
    def _mangle(reply: Reply, fault: Fault) -> Reply:
        if fault.kind == "bad-json":
            return Reply(200, HTML_ERROR_PAGE, [h for h in reply.headers], reply.content_type)
        cut = int(len(reply.body) * float(fault.params["fraction"]))
        return Reply(200, reply.body[:cut], reply.headers, reply.content_type)

    @staticmethod
    def _drop(environ, start_response):
        """Close the connection without a response (needs the simulator's own server, which exposes the socket)."""
        sock = environ.get("werkzeug.socket")
        if sock is None:
            raise RuntimeError("the reset fault needs the simulator's server (werkzeug.socket is missing)")
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        start_response("500 Internal Server Error", [("Content-Length", "0")])
        return [b""]
