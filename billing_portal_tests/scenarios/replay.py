"""Replays a recorded scenario (`requests.json` + response files) as a Confluent-format HTTP server that is not the
product's simulator: the "other server" the walking skeleton must load data from.

GET requests match on method, path and query (page sizes and offsets aside, since a client may choose its own);
absolute URLs in bodies (`metadata.next`, …) are rewritten to this server. Metrics queries are answered from the
recorded one-cluster responses: a query whose filter names several clusters (EQ or OR) gets the union of their
recorded rows, all pages merged, with `resource.kafka.id` added when it is grouped by — what the real Metrics API
returns for the same query. Unknown requests answer 404 and are recorded in `.unmatched`.

`day` moves the recorded day (and the day after it) to another date in every path, query and body: Confluent's
billing API only answers for the last year, so an old recording is replayed as a recent day.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from pathlib import Path

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

IGNORED_QUERY = {"page_size", "limit", "offset"}


def _clusters(flt: dict) -> list[str]:
    if flt.get("op") in ("AND", "OR"):
        return [c for f in flt["filters"] for c in _clusters(f)]
    return [flt["value"]] if flt.get("field") == "resource.kafka.id" else []


class ReplayServer:
    def __init__(self, scenario: Path, day: dt.date | None = None):
        self.scenario = scenario
        raw = (scenario / "requests.json").read_text()
        recorded = dt.date.fromisoformat(json.loads(raw)["usage_date"])
        self._dates = [(recorded + dt.timedelta(days=i)).isoformat() for i in (0, 1)]
        self._moved = [((day or recorded) + dt.timedelta(days=i)).isoformat() for i in (0, 1)]
        self.index = json.loads(self._move(raw))
        self.unmatched: list[str] = []
        self.unrecorded_metrics: set[str] = set()
        self.requests: list[str] = []
        self._server = make_server("127.0.0.1", 0, self._app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=5)

    def _move(self, text: str) -> str:
        for old, new in zip(self._dates, self._moved, strict=True):
            text = text.replace(old, new)
        return text

    def _body(self, name: str) -> bytes:
        text = self._move((self.scenario / name).read_text())
        for host in (self.index["host_api"], self.index["host_telemetry"], self.index["host_catalog"]):
            text = text.replace(host, self.url)
        return text.encode()

    def _get(self, req: Request) -> bytes | None:
        query = {k: v for k, v in req.args.items() if k not in IGNORED_QUERY}
        for entry in self.index["responses"]:
            if entry["method"] != "GET" or entry["path"] != req.path:
                continue
            recorded = {k: v for k, v in (entry.get("query") or {}).items() if k not in IGNORED_QUERY}
            if recorded == query:
                return self._body(entry["file"])
        return None

    def _metrics(self, req: Request) -> bytes | None:
        if req.args.get("page_token"):
            return None  # every answer below is a single, complete page
        body = req.get_json()
        metric = body["aggregations"][0]["metric"]
        if not any(e["method"] == "POST" and e["body"]["aggregations"][0]["metric"] == metric
                   for e in self.index["responses"]):
            # a metric the recording never asked for (topic bytes, Flink statement CFUs): answered as the API
            # answers a query without points, and listed
            self.unrecorded_metrics.add(metric)
            return json.dumps({"data": []}).encode()
        wanted = _clusters(body["filter"])
        rows = []
        found = False
        for entry in self.index["responses"]:
            if entry["method"] != "POST" or entry["path"] != req.path:
                continue
            recorded = entry["body"]
            if recorded["aggregations"][0]["metric"] != metric or recorded["intervals"] != body["intervals"]:
                continue
            cluster = _clusters(recorded["filter"])[0]
            if cluster not in wanted:
                continue
            found = True
            for row in json.loads(self._body(entry["file"]))["data"]:
                if "resource.kafka.id" in body.get("group_by", []):
                    row = {**row, "resource.kafka.id": cluster}
                rows.append(row)
        return json.dumps({"data": rows, "meta": {"pagination": {"page_size": len(rows)}}}).encode() if found \
            else None

    @Request.application
    def _app(self, req: Request) -> Response:
        self.requests.append(f"{req.method} {req.full_path}")
        payload = self._get(req) if req.method == "GET" else self._metrics(req) if req.method == "POST" else None
        if payload is None:
            self.unmatched.append(f"{req.method} {req.full_path} {req.get_data(as_text=True)[:300]}")
            return Response(json.dumps({"errors": [{"status": "404", "detail": "not recorded"}]}), status=404,
                            content_type="application/json")
        return Response(payload, content_type="application/json")
