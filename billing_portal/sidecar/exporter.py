"""`/metrics`: OpenMetrics exposition of the chargeback with prometheus_client (a custom Collector).

Metrics (label sets are bounded: no principal or resource ids; use the REST API for those):

- `ccloud_cost_usd_hourly{org_id, env_id, cluster, product, business_unit, team, cost_center, revision}`: the cost
  of one UTC hour, exposed **with that hour's timestamp** so Prometheus stores it at the hour it belongs to although
  the bill arrives days later (the Prometheus config enables the out-of-order window for this). Samples come from
  the publication ledger (`ledger.py`): revision 0 is the first published figure, later revisions are corrections
  after a restatement; always aggregate with `sum(...)`, which gives the current figure.
- `ccloud_cost_month_to_date_usd{business_unit}`: cost of the current UTC month so far.
- `ccloud_cost_newest_complete_hour_timestamp_seconds`: start of the newest hour whose day is complete.
- `ccloud_cost_data_lag_seconds`: now − end of that hour.
- `ccloud_cost_allocation_coverage_ratio{bucket}`: share of the newest day's cost per coverage bucket
  (by_usage, by_ownership, by_fallback, unallocated), from cost_confidence_daily.
- `ccloud_cost_confidence_ratio{confidence}`: share of the newest day's cost per confidence level.
- `ccloud_cost_unallocated_share_ratio`: the unallocated share of the newest complete day: unallocated charges /
  charges (positive amounts; a credit never nets it away), by the SQL definition every reader uses (migration 0014).
- `ccloud_cost_credits_usd`: the credits (negative amounts, <= 0) of the newest complete day, shown apart.
- `ccloud_cost_attribution_completeness_ratio{attribute}`: the share of the newest complete day's charges with a
  known team, business_unit, cost_center (migration 0014).
- `ccloud_budget_usd{business_unit}`: the monthly budget of a business unit, from the YAML file
  `BILLING_PORTAL_BUDGETS_FILE` (`load_budgets`); compared with `ccloud_cost_month_to_date_usd` by the alert rules.

Gauges other than the hourly samples are aggregated in SQL (through `query.pick_source`) and cached until the
warehouse's partition_status changes; the ledger is written by the `metrics_ledger` asset after the facts, never
by a scrape; a scrape exposes at most MAX_SAMPLES_PER_SCRAPE hourly samples, one slice read by an index range
(`ledger.py`). So a scrape costs a few small reads whatever the data size.

The hourly samples are written by `render` itself (`hourly_lines`): each line exactly as prometheus_client's encoder
writes it (label values escaped and labels sorted by PostgreSQL, values by prometheus_client's `floatToGoString`,
timestamps in seconds for OpenMetrics and in milliseconds for the Prometheus text format), spliced in after the
family's `# TYPE` line of the encoder's own output for the other families. prometheus_client formats ~35 000
samples/s on one core here; these lines ~10 times faster. `CostCollector.collect` still yields every family with
its samples (the reference the tests compare `render` with, byte for byte).
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from pathlib import Path

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import choose_encoder
from prometheus_client.registry import Collector, CollectorRegistry
from prometheus_client.utils import floatToGoString
from pydantic import BaseModel, ConfigDict, field_validator

from billing_portal.months import month_start, next_month
from billing_portal.ownership.yamlfile import load_yaml_model
from billing_portal.sidecar import ledger
from billing_portal.sidecar.query import (
    aggregate_statement,
    day_start,
    newest_complete_day,
    pick_source,
    range_and_filters,
)

HOURLY_LABELS = list(ledger.LABELS) + ["revision"]
CACHE_TTL_SECONDS = 300
BUCKETS = ("by_usage", "by_ownership", "by_fallback", "unallocated")
ATTRIBUTES = ("team", "business_unit", "cost_center")
LEVELS = ("high", "medium", "low")


class GaugeCache:
    """Slow aggregates, recomputed when the data version (partition_status) or the month changes."""

    def __init__(self):
        self._lock = threading.Lock()
        self._key = None
        self._at = 0.0
        self._value: dict | None = None

    def get(self, key, compute):
        with self._lock:
            if self._value is not None and key == self._key and time.monotonic() - self._at < CACHE_TTL_SECONDS:
                return self._value
        value = compute()
        with self._lock:
            self._key, self._value, self._at = key, value, time.monotonic()
        return value


class Budgets(BaseModel):
    """The budgets file: `{business_units: {<name>: <USD per month>, ...}}`, amounts exact decimals."""

    model_config = ConfigDict(extra="forbid")

    business_units: dict[str, Decimal]

    @field_validator("business_units", mode="before")
    @classmethod
    def _units(cls, v):
        if not isinstance(v, dict) or not v:
            raise ValueError("must be a non-empty mapping 'business_units: {<business unit>: <USD>}'")
        out = {}
        for bu, amount in v.items():
            if not isinstance(bu, str) or not bu.strip():
                raise ValueError(f"business unit names must be non-empty strings, got {bu!r}")
            try:
                value = Decimal(str(amount)) if isinstance(amount, int | float | str) and \
                    not isinstance(amount, bool) else None
            except InvalidOperation:
                value = None
            if value is None or not value.is_finite() or value < 0:
                raise ValueError(f"the budget of {bu!r} must be a non-negative amount in USD, got {amount!r}")
            out[bu] = value
        return out


def load_budgets(path: Path | str | None) -> dict[str, Decimal]:
    """Monthly budgets in USD per business unit from the YAML file BILLING_PORTAL_BUDGETS_FILE (no file configured:
    no budgets), through the same loader as the mapping and allocation files: any problem is one ConfigError line
    naming the variable, the file, the line and the key."""
    if path in (None, ""):
        return {}
    return load_yaml_model(path, Budgets, "BILLING_PORTAL_BUDGETS_FILE:").business_units


# At most this many hourly samples per scrape (one slice of the exposure window: ledger.py says how often each is
# exposed); written by `hourly_lines`, 10 000 take ~30 ms.
MAX_SAMPLES_PER_SCRAPE = 10_000


class CostCollector(Collector):
    """One scrape: expose the ledger's pending samples and the gauges (reads only)."""

    def __init__(self, pool, *, exposure_hours: int, cache: GaugeCache,
                 max_samples: int = MAX_SAMPLES_PER_SCRAPE, now=lambda: dt.datetime.now(dt.UTC),
                 budgets: dict[str, Decimal] | None = None):
        self.pool, self.exposure_hours, self.cache = pool, exposure_hours, cache
        self.budgets = budgets or {}
        self.max_samples, self.now = max_samples, now

    # --- slow aggregates ---------------------------------------------------------------------------------------
    def _aggregates(self, conn, newest: dt.date | None, now: dt.datetime) -> dict:
        out: dict = {"mtd": [], "buckets": {}, "levels": {}, "unallocated_share": None, "credits": None,
                     "completeness": {}}
        lo, hi = month_start(now), next_month(now)
        source = pick_source({"business_unit"}, "month")
        where = range_and_filters(source, lo, hi, {})
        out["mtd"] = [(r["business_unit"] or "unknown", r["amount_usd"]) for r in conn.execute(
            aggregate_statement(source, ["business_unit"], "total", where), where.params)]
        conf = conn.execute(
            "SELECT * FROM cost_confidence_daily WHERE scope_type = 'total' ORDER BY usage_date DESC LIMIT 1"
        ).fetchone()
        if conf and conf["total_usd"]:
            total = conf["total_usd"]
            out["buckets"] = {b: conf[f"{b}_usd"] / total for b in BUCKETS}
            out["levels"] = {lv: conf[f"{lv}_usd"] / total for lv in LEVELS}
        if newest is not None:
            # the figures as defined once (view cost_figures, migration 0014): the API and dashboards read the same
            r = conn.execute("SELECT * FROM cost_figures WHERE usage_date = %s AND scope_type = 'total'",
                             (newest,)).fetchone()
            if r:
                out["unallocated_share"] = r["unallocated_share"]
                out["credits"] = r["credits_usd"]
                out["completeness"] = {a: r[f"{a}_completeness"] for a in ATTRIBUTES
                                       if r[f"{a}_completeness"] is not None}
        return out

    def _version(self, conn, newest, now):
        r = conn.execute("SELECT count(*) AS n, max(materialized_at) AS m FROM partition_status"
                         " WHERE asset_name IN ('hourly_cost_facts', 'cost_confidence')").fetchone()
        return (r["n"], r["m"], newest, now.strftime("%Y-%m"))

    # --- collect -----------------------------------------------------------------------------------------------
    def read(self, lines: bool = False) -> tuple[list, dict, dt.date | None, dt.datetime]:
        """One scrape's reads: the exposed samples (`ledger.exposed`, or with `lines` `ledger.exposed_lines`), the
        gauges' aggregates (cached), the newest complete day and now."""
        now = self.now()
        with self.pool.connection() as conn:
            newest, _ = newest_complete_day(conn)
            samples = (ledger.exposed_lines if lines else ledger.exposed)(conn, self.exposure_hours, self.max_samples,
                                                                            now)
            agg = self.cache.get(self._version(conn, newest, now), lambda: self._aggregates(conn, newest, now))
        return samples, agg, newest, now

    def collect(self):
        """Every family with its samples, through prometheus_client (the reference exposition)."""
        samples, agg, newest, now = self.read()
        hourly = self._hourly()
        for s in samples:
            hourly.add_metric([s[lb] for lb in ledger.LABELS] + [str(s["revision"])], float(s["amount_usd"]),
                              timestamp=s["hour"].timestamp())
        yield hourly
        yield from self._gauges(agg, newest, now)

    @staticmethod
    def _hourly() -> GaugeMetricFamily:
        return GaugeMetricFamily(
            ledger.HOURLY_METRIC,
            "Allocated Confluent Cloud cost of one UTC hour in USD, at that hour's timestamp. revision>0 samples are "
            "corrections after a restatement: always sum().", labels=HOURLY_LABELS)

    def _gauges(self, agg: dict, newest: dt.date | None, now: dt.datetime):
        yield _per("ccloud_cost_month_to_date_usd", "Allocated cost of the current UTC month so far, in USD.",
                   "business_unit", agg["mtd"])
        last_hour = day_start(newest) + dt.timedelta(hours=23) if newest is not None else None
        yield _gauge("ccloud_cost_newest_complete_hour_timestamp_seconds",
                     "Start of the newest hour whose day of cost facts is complete (Unix time).",
                     last_hour and last_hour.timestamp())
        yield _gauge("ccloud_cost_data_lag_seconds",
                     "Seconds between now and the end of the newest complete hour of cost facts.",
                     last_hour and max(0.0, (now - last_hour - dt.timedelta(hours=1)).total_seconds()))
        yield _per("ccloud_cost_allocation_coverage_ratio", "Share of the newest day's cost per coverage bucket "
                   "(by_usage, by_ownership, by_fallback, unallocated).", "bucket", agg["buckets"].items())
        yield _per("ccloud_cost_confidence_ratio", "Share of the newest day's cost per allocation confidence level.",
                   "confidence", agg["levels"].items())
        yield _gauge("ccloud_cost_unallocated_share_ratio",
                     "Unallocated charges / charges (positive amounts; credits apart) of the newest complete day.",
                     agg["unallocated_share"])
        yield _gauge("ccloud_cost_credits_usd", "Credits (negative amounts, <= 0) of the newest complete day, in USD.",
                     agg["credits"])
        yield _per("ccloud_cost_attribution_completeness_ratio", "Share of the newest complete day's charges with a "
                   "known team, business unit or cost center.", "attribute", agg["completeness"].items())
        yield _per("ccloud_budget_usd", "Monthly budget of a business unit in USD (BILLING_PORTAL_BUDGETS_FILE).",
                   "business_unit", sorted(self.budgets.items()))


class _Families(Collector):
    """Families already built, for one exposition."""

    def __init__(self, families: list):
        self.families = families

    def collect(self):
        return iter(self.families)


def _gauge(name: str, documentation: str, value) -> GaugeMetricFamily:
    """A gauge without labels; no sample when `value` is None."""
    return GaugeMetricFamily(name, documentation, value=None if value is None else float(value))


def _per(name: str, documentation: str, label: str, values: Iterable[tuple[str, object]]) -> GaugeMetricFamily:
    """A gauge with one sample per (label value, value); a missing value is 0."""
    family = GaugeMetricFamily(name, documentation, labels=[label])
    for key, value in values:
        family.add_metric([key], float(value or 0))
    return family


# Media types for which prometheus_client's `choose_encoder` decides: OpenMetrics for Prometheus, the Prometheus text
# format for text/plain (promtool) and for a browser (text/html, which would download an OpenMetrics answer).
NAMED_FORMATS = ("application/openmetrics-text", "text/plain", "text/html")
DEFAULT_FORMAT = "application/openmetrics-text"


def negotiate(accept: str | None):
    """(encoder, content type) for an Accept header, by prometheus_client's `choose_encoder`; a client that names
    none of `NAMED_FORMATS` (no Accept, `*/*`) gets OpenMetrics."""
    text = (accept or "").lower()
    return choose_encoder(accept if any(t in text for t in NAMED_FORMATS) else DEFAULT_FORMAT)


def hourly_lines(samples: Iterable[tuple[str, str, dt.datetime]], openmetrics: bool) -> bytes:
    """The sample lines of `ccloud_cost_usd_hourly` for `ledger.exposed_lines` rows, as prometheus_client's
    OpenMetrics (`openmetrics`) or Prometheus text encoder writes them: `<series> <floatToGoString(value)>
    <timestamp>` with the timestamp in seconds (`str(float)`) or in milliseconds (`int(float * 1000)`)."""
    stamps: dict[dt.datetime, str] = {}
    out = []
    for series, amount, hour in samples:
        stamp = stamps.get(hour)
        if stamp is None:
            ts = hour.timestamp()
            stamp = stamps[hour] = f" {ts}\n" if openmetrics else f" {int(float(ts) * 1000):d}\n"
        out.append(series + floatToGoString(float(amount)) + stamp)
    return "".join(out).encode("utf-8")


def render(collector: CostCollector, accept: str | None) -> tuple[bytes, str]:
    """The exposition for `accept`: prometheus_client's encoder for every family, the hourly samples' lines
    (`hourly_lines`) spliced in after their family's header, where the encoder would have written them."""
    encoder, content_type = negotiate(accept)
    samples, agg, newest, now = collector.read(lines=True)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Families([collector._hourly(), *collector._gauges(agg, newest, now)]))
    body = encoder(registry)
    header = f"# TYPE {ledger.HOURLY_METRIC} gauge\n".encode()
    at = body.index(header) + len(header)
    lines = hourly_lines(samples, openmetrics=content_type.startswith("application/openmetrics-text"))
    return body[:at] + lines + body[at:], content_type


def render_reference(collector: CostCollector, accept: str | None) -> tuple[bytes, str]:
    """The same exposition written entirely by prometheus_client (`CostCollector.collect`): what `render` must equal."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(collector)
    encoder, content_type = negotiate(accept)
    return encoder(registry), content_type
