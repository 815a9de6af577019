"""A tiny Confluent-format HTTP server (werkzeug) that answers recorded live bodies, for the contract tests.

Routes are (path, query) → answer. A route's query is the parameters a request must carry (others, e.g.
`page_size`, are ignored); of the routes on a path that match, the one naming the most parameters wins, so a page-2
route `{environment, page_token}` takes over from the page-1 route `{environment}` once the token is sent. Bodies
are served byte for byte, except that with `rewrite_hosts` the recorded API hosts (`https://api.confluent.cloud`)
in them are replaced by this server's URL — `metadata.next` then points here, as it would behind a gateway that
rewrites it. Without it, the client must rebase `next` onto its configured base itself. Unknown requests answer
404 in the live envelope and are listed in `.unmatched`.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from billing_portal_tests.contract.shapes import RECORDED_API_HOSTS, shape_bytes

NOT_RECORDED = {"errors": [{"id": "contract", "status": "404", "code": "not_found", "detail": "not recorded",
                            "source": {}}]}


@dataclass
class Answer:
    status: int
    body: bytes
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Seen:
    method: str
    path: str
    args: dict[str, list[str]]
    authorization: str | None
    host: str

    def param(self, name: str) -> str | None:
        values = self.args.get(name)
        return values[0] if values else None


class RecordedServer:
    def __init__(self, *, rewrite_hosts: bool = True):
        self.rewrite_hosts = rewrite_hosts
        self._routes: dict[str, list[tuple[dict[str, str], Answer]]] = {}
        self.requests: list[Seen] = []
        self.unmatched: list[str] = []
        self._lock = threading.Lock()
        self._server = make_server("127.0.0.1", 0, self._app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=5)

    def __enter__(self) -> RecordedServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- scripting -----------------------------------------------------------------------------------------
    def answer(self, path: str, recorded: str | None = None, *, status: int = 200, query: dict | None = None,
               body: Any = None, content_type: str = "application/json", headers: dict | None = None) -> None:
        """Answer GET `path` (with `query` among its parameters) with the recorded file `recorded`, or with `body`
        (an object built by the test around recorded ones, served as JSON)."""
        if (recorded is None) == (body is None):
            raise ValueError("give either a recorded file or a body")
        data = shape_bytes(recorded) if recorded is not None else json.dumps(body).encode()
        if self.rewrite_hosts:
            for host in RECORDED_API_HOSTS:
                data = data.replace(host.encode(), self.url.encode())
        with self._lock:
            self._routes.setdefault(path, []).append(
                ({k: str(v) for k, v in (query or {}).items()}, Answer(status, data, content_type, headers or {})))

    def hits(self, path: str) -> list[Seen]:
        with self._lock:
            return [r for r in self.requests if r.path == path]

    # --- serving -------------------------------------------------------------------------------------------
    def _find(self, req: Request) -> Answer | None:
        best: tuple[int, Answer] | None = None
        for query, ans in self._routes.get(req.path, []):
            if all(req.args.get(k) == v for k, v in query.items()) and (best is None or len(query) > best[0]):
                best = (len(query), ans)
        return best[1] if best else None

    @Request.application
    def _app(self, req: Request) -> Response:
        with self._lock:
            self.requests.append(Seen(req.method, req.path, req.args.to_dict(flat=False),
                                      req.headers.get("Authorization"), req.host))
            ans = self._find(req) if req.method == "GET" else None
            if ans is None:
                self.unmatched.append(f"{req.method} {req.full_path}")
        if ans is None:
            return Response(json.dumps(NOT_RECORDED), status=404, content_type="application/json")
        headers = {"X-Request-Id": f"contract-{len(self.requests)}", **ans.headers}
        return Response(ans.body, status=ans.status, content_type=ans.content_type, headers=headers)
