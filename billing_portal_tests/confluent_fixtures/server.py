"""A tiny scriptable HTTP server for the Confluent client tests (independent of billing_portal/simulator).

Routes map (method, path) to a handler `fn(req) -> Reply` or to a list of replies served in order (the last one
repeats). Every request is recorded with its headers, query and body so tests can check what the client sent —
including whether credentials were sent at all. Special replies simulate transport faults: a connection reset, a
body shorter than its Content-Length, or a slow answer.
"""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Reply:
    status: int = 200
    body: Any = None  # dict/list → JSON; bytes/str sent verbatim
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    fault: str | None = None  # "reset" | "truncate"

    def encoded(self) -> bytes:
        if self.body is None:
            return b""
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode()
        return json.dumps(self.body).encode()


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    at: float

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    @property
    def authorization(self) -> str | None:
        return self.headers.get("authorization")

    def param(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None


Handler = Callable[[Recorded], Reply]


def confluent_error(status: int, detail: str, code: str = "error") -> Reply:
    return Reply(status, {"errors": [{"id": "x", "status": str(status), "code": code, "title": detail,
                                      "detail": detail, "source": {}}]})


class FixtureServer:
    def __init__(self, host: str = "127.0.0.1"):
        self._routes: dict[tuple[str, str], Handler] = {}
        self.requests: list[Recorded] = []
        self._lock = threading.Lock()
        server = self

        class _H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                rec = Recorded(self.command, parts.path, parse_qs(parts.query, keep_blank_values=True),
                               {k.lower(): v for k, v in self.headers.items()}, body, time.monotonic())
                with server._lock:
                    server.requests.append(rec)
                    handler = server._routes.get((self.command, parts.path))
                reply = handler(rec) if handler else confluent_error(404, f"no route {parts.path}", "not_found")
                if reply.delay:
                    time.sleep(reply.delay)
                if reply.fault == "reset":
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    self.close_connection = True
                    return
                data = reply.encoded()
                self.send_response(reply.status)
                headers = {"Content-Type": "application/json", "X-Request-Id": f"req-{len(server.requests)}",
                           **reply.headers}
                for k, v in headers.items():
                    self.send_header(k, v)
                if reply.fault == "truncate":
                    self.send_header("Content-Length", str(len(data) + 100))
                    self.end_headers()
                    self.wfile.write(data)
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = _handle

        self._server = ThreadingHTTPServer((host, 0), _H)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02},
                                        daemon=True)
        self.host = host

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> FixtureServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FixtureServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- scripting -----------------------------------------------------------------------------------------
    def route(self, method: str, path: str, handler: Handler) -> None:
        with self._lock:
            self._routes[(method, path)] = handler

    def replies(self, method: str, path: str, *replies: Reply) -> None:
        """Serve `replies` in order to successive requests; the last one repeats."""
        queue = list(replies)
        lock = threading.Lock()

        def handler(_req: Recorded) -> Reply:
            with lock:
                return queue.pop(0) if len(queue) > 1 else queue[0]

        self.route(method, path, handler)

    def json(self, method: str, path: str, body: Any, status: int = 200, headers: dict | None = None) -> None:
        self.replies(method, path, Reply(status, body, headers or {}))

    def calls(self, path: str | None = None, method: str | None = None) -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests if (path is None or r.path == path)
                    and (method is None or r.method == method)]
