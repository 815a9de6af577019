"""Tolerant parsing of raw Confluent JSON into warehouse-shaped frames; billing rows → `BillingBatch`.

Billing rules (`normalize_costs`), faithful to the live API as described in ../shared/CONFLUENT_API.md:

- **De-duplication.** A row's identity is its *canonical JSON* (keys sorted, compact separators, the numbers as
  parsed). Rows whose canonical JSON is byte-identical are one row: the same row served twice, e.g. repeated across
  pages or across overlapping requests. Rows that differ in any field — typically only in the pricing tier
  (`tier_dimensions`, `price`) for the same (day, resource, product, line_type) — are distinct bill lines and are
  all kept. `id` is not used: Confluent does not guarantee it is unique. Every dropped copy is counted in
  `duplicates`.
- **Line numbers.** `line_no` is 0-based per `usage_date` after a stable sort by (product, line_type, resource_id,
  line_hash). `line_hash` is the sha1 of the canonical JSON, unique after de-duplication, so the order — and
  therefore `line_no` — does not depend on page order or on the order the API returned rows in.
- **Tolerance.** Missing `price`/`unit`/`quantity` → NULL; null/absent `resource` or `resource.environment` → NULL
  ids; unknown products and line types are kept verbatim; negative amounts (credits) are kept. A missing
  `original_amount` or `discount_amount` is derived from the other two (`amount = original − discount`) when the
  other one is present; with both missing both stay NULL (we do not invent a discount).
- **Quarantine.** A row that cannot be used goes to `quarantine` with a reason `code: detail`, never silently
  dropped: `not_an_object`, `missing_start_date`, `invalid_start_date`, `outside_window`, `missing_product`,
  `missing_line_type`, `missing_amount`, `invalid_amount`, `unserializable`. Its `usage_date` is the row's own date
  when readable and inside the requested window, else the window start: quarantine rows are replaced together with
  the window's days, so they must not land on a day outside it. `amount` is kept when readable so that
  billed = loaded + quarantined can be checked.
- **Money.** Amounts are Decimals via `billing_portal.money.to_decimal` (8 places, from the JSON text of the
  number). `price` and `quantity` are stored as NUMERIC(28,12), so they are parsed the same way but kept to 12
  places (rounding them to 8 would lose real precision of per-unit prices). `amount_units` is int64 1e-8 USD.

`stats` counts everything: rows_received = lines + duplicates + quarantined.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import pandas as pd

from billing_portal.model.collected import BILLING_COSTS, QUARANTINE_ROWS
from billing_portal.money import to_decimal, to_units

# billing_costs (billing_portal/model/collected.py) without org_id (the caller's), with the amount as int64 units
LINE_COLUMNS = [*(c for c in BILLING_COSTS.names() if c != "org_id"), "amount_units"]
# quarantine_rows without its write-time collected_at
QUARANTINE_COLUMNS = [c for c in QUARANTINE_ROWS.names() if c != "collected_at"]

_PRICE_UNIT = Decimal(1).scaleb(-12)


# --- shared helpers (also used by objects/catalog/metrics) -------------------------------------------------
def canonical_json(obj: Any) -> str:
    """Deterministic JSON text: sorted keys, compact, non-ASCII kept, NaN refused."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def json_text(obj: Any) -> str:
    """JSON text of an object as received (key order kept), for `raw` columns."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False, allow_nan=False, default=str)


def dig(obj: Any, *path: str) -> Any:
    """obj[path[0]][path[1]]… or None when any level is missing or not an object."""
    for key in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def text_or_none(value: Any) -> str | None:
    """A text column value: strings verbatim, other scalars as text, containers as JSON, None/'' → None."""
    if value is None:
        return None
    if isinstance(value, str):
        return value if value != "" else None
    if isinstance(value, (dict, list)):
        return canonical_json(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def int_or_none(value: Any) -> int | None:
    """Integers from JSON numbers or numeric strings ("1", "2.0"); anything else → None."""
    if value is None or isinstance(value, bool):
        return None
    try:
        d = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    if not d.is_finite() or d != d.to_integral_value():
        return None
    return int(d)


def parse_day(value: Any) -> dt.date | None:
    """`YYYY-MM-DD` (also the date part of an RFC3339 timestamp); None when unreadable."""
    if not isinstance(value, str) or len(value) < 10:
        return None
    head, tail = value[:10], value[10:]
    if tail and tail[0] not in "Tt ":
        return None
    try:
        return dt.date.fromisoformat(head)
    except ValueError:
        return None


def _price_decimal(value: Any) -> Decimal | None:
    """Like `to_decimal` but to 12 places (NUMERIC(28,12) columns)."""
    return to_decimal(value, _PRICE_UNIT)


# --- billing ---------------------------------------------------------------------------------------------
@dataclass
class BillingBatch:
    """Normalised billing rows for a window: `lines` (billing_costs columns minus org_id, plus amount_units),
    `quarantine` (quarantine_rows columns minus collected_at), the count of de-duplicated copies and `stats`."""

    lines: pd.DataFrame
    quarantine: pd.DataFrame
    duplicates: int
    stats: dict[str, Any] = field(default_factory=dict)


class _Reject(Exception):
    def __init__(self, code: str, detail: str, usage_date: dt.date | None = None, amount: Decimal | None = None):
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.reason = f"{code}: {detail}"
        self.usage_date = usage_date
        self.amount = amount


def _safe_amount(row: dict) -> Decimal | None:
    try:
        return to_decimal(row.get("amount"))
    except (ValueError, InvalidOperation, ArithmeticError):
        return None


def _optional_money(row: dict, key: str, stats: Counter) -> Decimal | None:
    value = row.get(key)
    if value is None:
        return None
    try:
        return to_decimal(value)
    except (ValueError, InvalidOperation, ArithmeticError):
        stats["invalid_optional_numbers"] += 1
        return None


def _optional_price(row: dict, key: str, stats: Counter) -> Decimal | None:
    value = row.get(key)
    if value is None:
        stats[f"missing_{key}"] += 1
        return None
    try:
        return _price_decimal(value)
    except (ValueError, InvalidOperation, ArithmeticError):
        stats["invalid_optional_numbers"] += 1
        return None


def _required_text(row: dict, key: str) -> str | None:
    value = row.get(key)
    if isinstance(value, str) and value.strip():
        return value
    return None


def _line(row: dict, start: dt.date, end: dt.date, canonical: str, stats: Counter) -> dict:
    """One usable bill line from a row, or `_Reject` with the reason."""
    raw_date = row.get("start_date")
    if raw_date is None or raw_date == "":
        raise _Reject("missing_start_date", "no start_date", amount=_safe_amount(row))
    usage_date = parse_day(raw_date)
    if usage_date is None:
        raise _Reject("invalid_start_date", f"start_date {str(raw_date)[:40]!r} is not YYYY-MM-DD",
                      amount=_safe_amount(row))
    if not (start <= usage_date < end):
        raise _Reject("outside_window", f"start_date {usage_date.isoformat()} not in [{start.isoformat()}, "
                      f"{end.isoformat()})", amount=_safe_amount(row))
    if _required_text(row, "product") is None:
        raise _Reject("missing_product", "no product", usage_date, _safe_amount(row))
    if _required_text(row, "line_type") is None:
        raise _Reject("missing_line_type", "no line_type", usage_date, _safe_amount(row))
    if row.get("amount") is None:
        raise _Reject("missing_amount", "no amount", usage_date)
    try:
        amount = to_decimal(row["amount"])
    except (ValueError, InvalidOperation, ArithmeticError):
        raise _Reject("invalid_amount", f"amount {str(row['amount'])[:40]!r} is not a number", usage_date) from None

    original = _optional_money(row, "original_amount", stats)
    discount = _optional_money(row, "discount_amount", stats)
    if original is None and discount is not None:
        original = amount + discount
        stats["derived_original_amount"] += 1
    elif discount is None and original is not None:
        discount = original - amount
        stats["derived_discount_amount"] += 1
    elif original is None and discount is None:
        stats["missing_amount_breakdown"] += 1
    elif original - discount != amount:
        stats["amount_breakdown_mismatch"] += 1

    end_date = parse_day(row.get("end_date"))
    if end_date is not None and end_date != usage_date + dt.timedelta(days=1):
        stats["non_daily_rows"] += 1
    if row.get("unit") is None:
        stats["missing_unit"] += 1

    resource = row.get("resource")
    if isinstance(resource, str):  # tolerate a bare id
        resource = {"id": resource}
    environment = dig(resource, "environment")
    env_id = environment if isinstance(environment, str) else dig(environment, "id")
    tiers = row.get("tier_dimensions")
    return {
        "usage_date": usage_date,
        "line_hash": hashlib.sha1(canonical.encode("utf-8")).hexdigest(),
        "source_id": text_or_none(row.get("id")),
        "env_id": text_or_none(env_id),
        "resource_id": text_or_none(dig(resource, "id")),
        "resource_name": text_or_none(dig(resource, "display_name")),
        "product": row["product"],
        "line_type": row["line_type"],
        "network_access_type": text_or_none(row.get("network_access_type")),
        "granularity": text_or_none(row.get("granularity")),
        "price": _optional_price(row, "price", stats),
        "unit": text_or_none(row.get("unit")),
        "quantity": _optional_price(row, "quantity", stats),
        "original_amount": original,
        "discount_amount": discount,
        "amount": amount,
        "description": text_or_none(row.get("description")),
        "tier_dimensions": canonical_json(tiers) if tiers is not None else None,
        "raw": json_text(row),
        "amount_units": to_units(amount),
    }


def empty_lines() -> pd.DataFrame:
    return _lines_frame([])


def empty_quarantine() -> pd.DataFrame:
    return _quarantine_frame([])


def typed_frame(records: list[dict], columns: list[str], *, objects: tuple[str, ...] = (),
                ints: tuple[str, ...] = (), nullable_ints: tuple[str, ...] = (),
                datetimes: tuple[str, ...] = ()) -> pd.DataFrame:
    """A frame with exactly `columns` and stable dtypes whatever the data (also when empty): `objects` keep Python
    objects (Decimal, date, lists), `ints` are int64, `nullable_ints` Int64, `datetimes` UTC timestamps; every other
    column is pandas' string dtype (missing → NA)."""
    frame = pd.DataFrame.from_records(records, columns=columns)
    for col in columns:
        if col in objects:
            frame[col] = frame[col].astype(object)
        elif col in ints:
            frame[col] = frame[col].astype("int64")
        elif col in nullable_ints:
            frame[col] = frame[col].astype("Int64")
        elif col in datetimes:
            frame[col] = pd.to_datetime(frame[col], utc=True, errors="coerce", format="ISO8601")
        else:
            frame[col] = frame[col].astype("str")
    return frame


def _lines_frame(records: list[dict]) -> pd.DataFrame:
    return typed_frame(records, LINE_COLUMNS, ints=("line_no", "amount_units"),
                       objects=("usage_date", "price", "quantity", "original_amount", "discount_amount", "amount"))


def _quarantine_frame(records: list[dict]) -> pd.DataFrame:
    return typed_frame(records, QUARANTINE_COLUMNS, objects=("usage_date", "amount"))


def normalize_costs(rows: Any, start: dt.date, end: dt.date, *, source: str = "billing") -> BillingBatch:
    """Raw `billing/v1/costs` rows for the window [start, end) → `BillingBatch` (rules in the module docstring)."""
    if not start < end:
        raise ValueError(f"empty billing window [{start}, {end})")
    stats: Counter = Counter()
    reasons: Counter = Counter()
    seen: set[str] = set()
    lines: list[dict] = []
    quarantined: list[dict] = []
    duplicates = 0
    quarantined_amount = Decimal(0)

    def reject(reason: str, code: str, raw: str, usage_date: dt.date | None, amount: Decimal | None) -> None:
        nonlocal quarantined_amount
        day = usage_date if usage_date is not None and start <= usage_date < end else start
        quarantined.append({"source": source, "usage_date": day, "reason": reason, "amount": amount, "raw": raw})
        reasons[code] += 1
        if amount is not None:
            quarantined_amount += amount

    for row in rows:
        stats["rows_received"] += 1
        try:
            canonical = canonical_json(row)
        except (TypeError, ValueError) as exc:
            reject(f"unserializable: {exc}"[:200], "unserializable", repr(row)[:10000], None, None)
            continue
        if canonical in seen:
            duplicates += 1
            continue
        seen.add(canonical)
        if not isinstance(row, dict):
            reject(f"not_an_object: got {type(row).__name__}", "not_an_object", canonical, None, None)
            continue
        try:
            lines.append(_line(row, start, end, canonical, stats))
        except _Reject as rej:
            reject(rej.reason, rej.code, json_text(row), rej.usage_date, rej.amount)

    lines.sort(key=lambda r: (r["usage_date"], r["product"], r["line_type"], r["resource_id"] or "", r["line_hash"]))
    counters: Counter = Counter()
    for rec in lines:
        rec["line_no"] = counters[rec["usage_date"]]
        counters[rec["usage_date"]] += 1

    summary: dict[str, Any] = {
        "window_start": start.isoformat(),
        "window_end": end.isoformat(),
        "rows_received": stats.pop("rows_received", 0),
        "lines": len(lines),
        "duplicates": duplicates,
        "quarantined": len(quarantined),
        "quarantine_reasons": dict(sorted(reasons.items())),
        "lines_amount": sum((r["amount"] for r in lines), Decimal(0)),
        "quarantined_amount": quarantined_amount,
        "days": len(counters),
    }
    summary.update(sorted(stats.items()))
    return BillingBatch(_lines_frame(lines), _quarantine_frame(quarantined), duplicates, summary)
