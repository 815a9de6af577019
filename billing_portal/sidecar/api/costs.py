"""GET /v1/costs: hourly cost facts in [from_ts, to_ts), keyset-paginated in a stable order."""

from __future__ import annotations

import base64
import datetime as dt

from apiflask import APIBlueprint, abort
from flask import current_app, request

bp = APIBlueprint("costs", __name__, tag="costs")

MAX_LIMIT = 10_000
FACT_FIELDS = ["hour", "usage_date", "org_id", "env_id", "resource_id", "resource_type", "cluster_id", "product",
               "line_type", "principal_id", "principal_type", "owner", "team", "business_unit", "business_product",
               "cost_center", "amount_usd", "allocation_method", "allocation_reason", "confidence"]


def parse_ts(name: str) -> dt.datetime:
    raw = request.args.get(name)
    if raw is None:
        abort(400, f"{name} is required (RFC3339, e.g. 2024-01-01T00:00:00Z)")
    try:
        value = dt.datetime.fromisoformat(raw.replace("Z", "+00:00").replace(" ", "+"))
    except ValueError:
        abort(400, f"{name} is not an RFC3339 timestamp: {raw!r}")
    if value.tzinfo is None:
        abort(400, f"{name} must carry a timezone (e.g. Z): {raw!r}")
    return value.astimezone(dt.UTC)


def encode_cursor(usage_date: dt.date, fact_no: int) -> str:
    return base64.urlsafe_b64encode(f"{usage_date.isoformat()}|{fact_no}".encode()).decode().rstrip("=")


def decode_cursor(raw: str) -> tuple[dt.date, int]:
    try:
        text = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode()
        day, no = text.split("|")
        return dt.date.fromisoformat(day), int(no)
    except Exception:  # noqa: BLE001 - any malformed cursor is the client's error
        abort(400, "cursor is not a cursor returned by this API")


@bp.get("/v1/costs")
@bp.doc(summary="Hourly cost facts in [from_ts, to_ts)")
def list_costs():
    from_ts, to_ts = parse_ts("from_ts"), parse_ts("to_ts")
    if from_ts >= to_ts:
        abort(400, "from_ts must be before to_ts")
    try:
        limit = int(request.args.get("limit", 1000))
    except ValueError:
        abort(400, "limit must be an integer")
    if not 1 <= limit <= MAX_LIMIT:
        abort(400, f"limit must be between 1 and {MAX_LIMIT}")
    cursor = decode_cursor(request.args["cursor"]) if "cursor" in request.args else None
    where = ["hour >= %(from_ts)s", "hour < %(to_ts)s"]
    params = {"from_ts": from_ts, "to_ts": to_ts, "limit": limit + 1}
    if cursor:
        where.append("(usage_date, fact_no) > (%(c_day)s, %(c_no)s)")
        params.update(c_day=cursor[0], c_no=cursor[1])
    for field in ("org_id", "env_id", "cluster_id", "principal_id", "product", "line_type", "business_unit",
                  "team", "cost_center", "confidence"):
        if field in request.args:
            where.append(f"{field} = %({field})s")
            params[field] = request.args[field]
    stmt = (f"SELECT {', '.join(FACT_FIELDS)}, fact_no FROM hourly_cost_facts WHERE {' AND '.join(where)}"
            " ORDER BY usage_date, fact_no LIMIT %(limit)s")
    with current_app.extensions["warehouse_pool"].connection() as conn:
        rows = conn.execute(stmt, params).fetchall()
    more = len(rows) > limit
    rows = rows[:limit]
    data = []
    for r in rows:
        item = {k: r[k] for k in FACT_FIELDS}
        item["hour"] = r["hour"].astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
        item["usage_date"] = r["usage_date"].isoformat()
        item["amount_usd"] = str(r["amount_usd"])
        data.append(item)
    nxt = encode_cursor(rows[-1]["usage_date"], rows[-1]["fact_no"]) if more and rows else None
    return {"data": data, "next": nxt, "count": len(data)}
