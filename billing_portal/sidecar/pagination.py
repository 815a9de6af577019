"""Opaque keyset cursors for the pages of facts (/v1/costs, /v1/topics), bound to the query they came from.

A cursor encodes the last row's key `(usage_date, fact_no)` and a fingerprint of the query (range, filters and the
view's `cursor_scope`, not the page size). Reusing a cursor with another range, other filters or in another view, or
sending anything that is not a cursor this API issued, is a 400 naming `cursor`.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib

import orjson

from billing_portal.sidecar.errors import bad_parameter

VERSION = 1


def fingerprint(from_ts: dt.datetime, to_ts: dt.datetime, filters: dict[str, list[str]]) -> str:
    canonical = orjson.dumps({"f": from_ts.isoformat(), "t": to_ts.isoformat(),
                              "q": {k: sorted(v) for k, v in sorted(filters.items())}}, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(canonical).hexdigest()[:16]


def encode(usage_date: dt.date, fact_no: int, query_fp: str) -> str:
    raw = orjson.dumps([VERSION, usage_date.isoformat(), int(fact_no), query_fp])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(cursor: str, query_fp: str) -> tuple[dt.date, int]:
    """The key after which the next page starts; 400 for a foreign, damaged or re-targeted cursor."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        version, day, fact_no, fp = orjson.loads(raw)
        if version != VERSION or not isinstance(fact_no, int) or not isinstance(fp, str) or not isinstance(day, str):
            raise ValueError("bad cursor")
        usage_date = dt.date.fromisoformat(day)
        if not 0 <= fact_no < 2**31:
            raise ValueError("bad cursor")
    except (ValueError, TypeError, orjson.JSONDecodeError):
        raise bad_parameter("cursor", "cursor is not a cursor issued by this API (use the `next` value of a page)",
                            code="invalid_cursor") from None
    if fp != query_fp:
        raise bad_parameter("cursor", "cursor belongs to a query with another range or other filters: repeat the "
                                      "original from_ts, to_ts and filters with it", code="cursor_mismatch")
    return usage_date, fact_no
