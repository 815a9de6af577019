"""The FOCUS mapping of a Confluent bill line: pure functions, no I/O (the endpoint is `api/export_focus.py`).

Every choice here is documented in docs/API.md (§ `GET /v1/export/focus`); the export is checked by the FinOps
Foundation's validator (`focus-validator`) in the test suite. Confluent's costs API gives per daily line a
`product`, a `line_type`, and — "sometimes missing live" — `unit`, `price` and `quantity`; everything FOCUS needs
beyond that is derived here, deterministically, and the raw values stay in `x_Confluent*` columns.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from decimal import Decimal

from billing_portal.model.line_types import LINE_TYPES

FOCUS_VERSION = "1.2"  # the version the export is validated against (plus the FOCUS 1.3 columns listed in API.md)
PRICE_UNIT = Decimal("1e-12")  # billing_costs.price is NUMERIC(28,12)
ZERO = Decimal(0)

# --- ChargeCategory / ChargeFrequency ------------------------------------------------------------------------------


def charge_category(product: str, line_type: str, amount: Decimal, description: str | None) -> str:
    """Credit (promotional credits, negative lines described as credits), Tax, else Usage.

    Support is Usage: Confluent's costs API reports it as a daily charge for that day's support service, not an
    upfront purchase covering future charges (a FOCUS Purchase of that kind must carry EffectiveCost 0, which would
    drop support from the effective cost)."""
    if line_type == "PROMO_CREDIT" or product == "PROMO_CREDIT" or (
            amount < 0 and "credit" in (description or "").lower()):
        return "Credit"
    if line_type == "TAX" or product == "TAX":
        return "Tax"
    return "Usage"


def is_support(product: str, line_type: str) -> bool:
    return line_type == "SUPPORT" or product.startswith("SUPPORT")


def charge_frequency(category: str, product: str, line_type: str) -> str:
    """Support is a subscription accrued daily (Recurring); metered lines and the credits burnt against them are
    Usage-Based; taxes are One-Time."""
    if category == "Tax":
        return "One-Time"
    if is_support(product, line_type):
        return "Recurring"
    return "Usage-Based"


# --- ServiceName / ServiceCategory / ServiceSubcategory -------------------------------------------------------------
# product → (ServiceName, ServiceCategory, ServiceSubcategory); every ServiceName has exactly one subcategory.
SERVICES: dict[str, tuple[str, str, str]] = {
    "KAFKA": ("Kafka", "Integration", "Messaging"),
    "CLUSTER_LINK": ("Cluster Linking", "Integration", "Messaging"),
    "CONNECT": ("Connect", "Integration", "Other (Integration)"),
    "CUSTOM_CONNECT": ("Custom Connect", "Integration", "Other (Integration)"),
    "KSQL": ("ksqlDB", "Analytics", "Streaming Analytics"),
    "FLINK": ("Flink", "Analytics", "Streaming Analytics"),
    "TABLEFLOW": ("Tableflow", "Analytics", "Data Processing"),
    "STREAM_GOVERNANCE": ("Stream Governance", "Management and Governance", "Data Governance"),
    "AUDIT_LOG": ("Audit Log", "Management and Governance", "Compliance"),
    "USM": ("Unified Stream Manager", "Management and Governance", "Observability"),
}
SUPPORT_SERVICE = ("Support", "Management and Governance", "Support")
CREDIT_SERVICE = ("Promotional Credit", "Other", "Other (Other)")


def service(product: str, line_type: str, category: str) -> tuple[str, str, str]:
    if is_support(product, line_type):
        return SUPPORT_SERVICE
    if category == "Credit" and product not in SERVICES:
        return CREDIT_SERVICE
    known = SERVICES.get(product)
    if known:
        return known
    return (product.replace("_", " ").title(), "Other", "Other (Other)")


# --- HostProviderName (FOCUS 1.3) -----------------------------------------------------------------------------------
HOSTS = {"aws": "Amazon Web Services", "gcp": "Google Cloud", "azure": "Microsoft Azure"}


def host_provider(cloud: str | None) -> str:
    """The cloud that hosts the resource (from the line's tier dimensions or the cluster); Confluent itself for
    charges without a hosted resource (support, credits, …)."""
    return HOSTS.get((cloud or "").strip().lower(), "Confluent")


# --- units ----------------------------------------------------------------------------------------------------------
# The FOCUS UnitFormat (the patterns the FinOps validator applies).
_DATA = "b|Kb|Mb|Gb|Tb|Pb|Eb|B|KB|MB|GB|TB|PB|EB|Kib|Mib|Gib|Tib|Pib|Eib|KiB|MiB|GiB|TiB|PiB|EiB"
_TIME_1 = "Year|Month|Day|Hour|Minute|Second"
_TIME_N = "Years|Months|Days|Hours|Minutes|Seconds"
_COUNT = r"[A-Za-z][A-Za-z0-9]*(?:\s+[A-Za-z][A-Za-z0-9]*)*"
UNIT_FORMAT = re.compile("|".join(f"(?:{p})" for p in (
    rf"^(?:{_DATA}|{_TIME_1}|{_TIME_N}|{_COUNT})$",
    rf"^(?:{_DATA}|{_COUNT})-(?:{_TIME_N})$",
    rf"^(?:{_DATA}|{_COUNT}|{_TIME_N})/(?:{_TIME_1})$",
    rf"^[0-9]+ (?:{_DATA}|{_TIME_1}|{_TIME_N}|{_COUNT})$",
    rf"^(?:{_DATA}|{_COUNT}|{_TIME_N})/[0-9]+ (?:{_TIME_N})$")))
_TIMES = {"second": "Second", "minute": "Minute", "hour": "Hour", "day": "Day", "month": "Month", "year": "Year"}
_COMPOSITE = re.compile(r"^(?P<unit>.+?)\s*(?P<sep>[-/])\s*(?P<time>second|minute|hour|day|month|year)s?$", re.I)

# A unit per documented Confluent line type, for rows that come without one (Confluent's units, FOCUS spelling).
LINE_TYPE_UNITS = {t.line_type: t.unit for t in LINE_TYPES if t.unit}  # billing_portal/model/line_types.py
GENERIC_UNIT = "Units"   # a quantity whose unit is neither billed nor known for the line type
LINE_DAY_UNIT = "Days"   # a daily line billed without a quantity: one day of it


@functools.lru_cache(maxsize=1024)
def focus_unit(raw: str | None) -> str | None:
    """Confluent's unit in the FOCUS UnitFormat: `Hour` → `Hours`, `GB-hour` → `GB-Hours`, `CFU-minute` →
    `CFU-Minutes`, `GB` stays; other text is kept when it already conforms, else cleaned to words. None when
    there is no usable unit."""
    text = (raw or "").strip()
    if not text:
        return None
    low = text.lower().rstrip("s")
    if low in _TIMES:
        return _TIMES[low] + "s"
    m = _COMPOSITE.match(text)
    if m:
        unit = re.sub(r"[^A-Za-z0-9]+", " ", m["unit"]).strip()
        time = _TIMES[m["time"].lower()]
        candidate = f"{unit}-{time}s" if m["sep"] == "-" else f"{unit}/{time}"
        if UNIT_FORMAT.match(candidate):
            return candidate
    if UNIT_FORMAT.match(text):
        return text
    cleaned = re.sub(r"[^A-Za-z0-9]+", " ", text).strip()
    cleaned = re.sub(r"^[0-9 ]+", "", cleaned)
    return cleaned if cleaned and UNIT_FORMAT.match(cleaned) else None


def conforms(unit: str | None) -> bool:
    return unit is not None and bool(UNIT_FORMAT.match(unit))


@dataclass(frozen=True)
class Pricing:
    """The line-level pricing of a Usage line: unit, list unit price and quantity (per line, before the fact's
    share)."""

    unit: str
    list_unit_price: Decimal
    quantity: Decimal


def line_pricing(line_type: str, unit: str | None, price: Decimal | None, quantity: Decimal | None,
                 original_amount: Decimal | None, amount: Decimal) -> Pricing:
    """Pricing of a Usage line such that ListUnitPrice × PricingQuantity = the line's list cost:

    - unit: the billed unit in FOCUS format, else the unit of the line type, else `Units`;
    - quantity as billed; price as billed, else derived = list amount / quantity (12 places);
    - a line without a quantity (Support, rows Confluent sends without one) is one `Days` of the daily line at
      its list amount."""
    list_amount = original_amount if original_amount is not None else amount
    if quantity is None or (quantity == 0 and list_amount != 0):
        return Pricing(LINE_DAY_UNIT, abs(list_amount), Decimal(1) if list_amount >= 0 else Decimal(-1))
    focus = focus_unit(unit) or LINE_TYPE_UNITS.get(line_type) or GENERIC_UNIT
    if price is None:
        price = (list_amount / quantity).quantize(PRICE_UNIT) if quantity != 0 else ZERO
    if price < 0:  # FOCUS: a unit price is never negative; the sign goes to the quantity
        price, quantity = -price, -quantity
    return Pricing(focus, price, quantity)
