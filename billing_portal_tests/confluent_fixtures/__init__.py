"""Shared fixtures for the Confluent client tests: a scriptable server and payloads written from
../shared/CONFLUENT_API.md (never from the simulator)."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from billing_portal.confluent.http import ConfluentHttp, HttpConfig
from billing_portal_tests.confluent_fixtures.server import FixtureServer, Recorded, Reply, confluent_error

DATA = Path(__file__).parent / "data"
KEY = "TESTKEY0000000001"
SECRET = "s3cr3t-VALUE-never-printed-9f8e7d"

__all__ = ["DATA", "KEY", "SECRET", "FixtureServer", "Recorded", "Reply", "confluent_error", "envelope_handler",
           "fast_config", "http_for", "load", "warehouse_columns"]


def load(name: str) -> Any:
    return json.loads((DATA / name).read_text())


def fast_config(**overrides: Any) -> HttpConfig:
    """Tiny backoff so the suite stays fast; no pacing unless a test asks for it."""
    values = dict(connect_timeout=2.0, read_timeout=2.0, max_attempts=5, max_total_sleep=5.0, backoff_base=0.01,
                  backoff_cap=0.05, cloud_requests_per_second=None, telemetry_requests_per_second=None,
                  catalog_requests_per_second=None)
    values.update(overrides)
    return HttpConfig(**values)


def http_for(server: FixtureServer, family: str = "cloud", **overrides: Any) -> ConfluentHttp:
    return ConfluentHttp(server.url, KEY, SECRET, fast_config(**overrides), family=family)


def _token(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"o": offset}).encode()).decode().rstrip("=")


def _offset(token: str | None) -> int:
    if not token:
        return 0
    return json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))["o"]


def envelope_handler(items: list, *, base_url: str, path: str, kind: str = "List", api_version: str = "v2",
                     page_size: int | None = None, last_metadata: str = "empty", next_base: str | None = None,
                     drop_params: tuple[str, ...] = ()):
    """Serve `items` as Confluent list-envelope pages: `metadata.next` is a FULL URL keeping the other query
    parameters (minus `drop_params`), pointing at `next_base` (default: the server itself). The last page has
    `metadata: {}` (`last_metadata="empty"`) or metadata without `next` (`"no_next"`)."""

    def handler(req: Recorded) -> Reply:
        size = page_size or int(req.param("page_size") or 10)
        offset = _offset(req.param("page_token"))
        chunk = items[offset:offset + size]
        if offset + size < len(items):
            keep = [(k, v) for k, vs in req.query.items() for v in vs if k not in ("page_token", *drop_params)]
            query = urlencode([*keep, ("page_token", _token(offset + size))])
            metadata = {"first": f"{base_url}{path}", "next": f"{next_base or base_url}{path}?{query}",
                        "total_size": len(items)}
        elif last_metadata == "empty":
            metadata = {}
        else:
            metadata = {"first": f"{base_url}{path}", "total_size": len(items)}
        return Reply(200, {"api_version": api_version, "kind": kind, "metadata": metadata, "data": chunk})

    return handler


def warehouse_columns(table: str) -> list[str]:
    """The columns of `table` as declared in the warehouse migrations (the contract the frames must match)."""
    import re

    from billing_portal.warehouse import migrations

    sql = "\n".join(p.read_text() for p in sorted(Path(migrations.__file__).parent.glob("*.sql")))
    sql = re.sub(r"--[^\n]*", "", sql)
    m = re.search(rf"CREATE TABLE {table} \((.*?)\)\s*(PARTITION BY [^;]*)?;", sql, re.S)
    if m is None:
        raise KeyError(table)
    parts, depth, cur = [], 0, ""
    for ch in m.group(1):
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
            continue
        depth += (ch == "(") - (ch == ")")
        cur += ch
    parts.append(cur)
    names = [p.split()[0] for p in parts if p.strip()]
    return [n for n in names if n.upper() not in ("PRIMARY", "UNIQUE", "CONSTRAINT", "CHECK", "FOREIGN")]
