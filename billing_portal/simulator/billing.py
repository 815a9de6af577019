"""One day's bill: the ``DAILY`` cost rows ``GET /billing/v1/costs`` serves for that day.

Rows, in this order (amount rule in ``pricing.py``):

* KAFKA, per cluster: ``KAFKA_NUM_CKUS`` (Dedicated; cku × 24 h; the *live* flavor emits the singular
  ``KAFKA_NUM_CKU`` for every second Dedicated cluster); for Basic/Standard/Enterprise, by default (eCKU billing,
  orgs created after 2024-04-16) ``KAFKA_NUM_CKUS`` in eCKU-hours, or with the ``legacy`` billing model
  ``KAFKA_BASE`` (Standard/Enterprise; 24 h) and ``KAFKA_PARTITION`` (partitions × 24); ``KAFKA_STORAGE`` (GB-hours: Σ over hours and topics of
  ``retained_bytes`` / 2^30, rounded to 6 decimals), ``KAFKA_NETWORK_WRITE`` and ``KAFKA_NETWORK_READ`` and
  ``KAFKA_REST_PRODUCE`` on every third Standard cluster.
* **Network consistency rule**: for a cluster-day, Σ quantity of its ``KAFKA_NETWORK_WRITE`` rows =
  Σ ``request_bytes`` over all its principals and hours / 2^30 (GB = GiB, as live; rounded to 9 decimals), and
  ``KAFKA_NETWORK_READ`` likewise with ``response_bytes``; ``amount = original_amount = round8(quantity × price)``
  per row (no discount). A cluster without traffic that day has no network rows. On Dedicated clusters the network
  lines are split by volume tier when above 10 GB: one row for the first 10 GB at $0.05 and one for the rest at
  $0.04, same (day, resource, product, line_type) and ``id``, different ``price`` and ``tier_dimensions``.
* CLUSTER_LINK (``CLUSTER_LINKING_PER_LINK``, ``CLUSTER_LINKING_WRITE``) on every fourth Dedicated cluster.
* CONNECT per connector (``CONNECT_CAPACITY``, ``CONNECT_NUM_TASKS``, ``CONNECT_THROUGHPUT``; churn connectors of
  ``timeline.py`` for the hours they lived that day), KSQL per ksqlDB
  cluster (``KSQL_NUM_CSUS``, singular ``KSQL_NUM_CSU`` for every second one in the live flavor), FLINK per compute
  pool (``FLINK_NUM_CFUS`` in CFU-minutes), STREAM_GOVERNANCE per Schema Registry (``GOVERNANCE_BASE`` for
  ADVANCED, ``SCHEMA_REGISTRY`` beyond the free schemas), TABLEFLOW (``TABLEFLOW_NUM_TOPICS``) on one cluster,
  and an unknown product ``NEW_PRODUCT_X``/``SOMETHING_NEW`` clients must keep.
* AUDIT_LOG ``AUDIT_LOG_READ`` on the org's audit-log cluster with ``environment: null``;
  ``SUPPORT_CLOUD_BUSINESS``/``SUPPORT`` ($1000/month prorated per day) with ``resource: null``;
  ``PROMO_CREDIT`` (negative amount, description, no ``resource`` key at all).

Flavors: ``live`` (default) mirrors what the live API does where it departs from the spec — ``api_version`` "v1",
singular CKU/CSU line types, rows missing ``price``/``unit``/``quantity`` (the support row, the first partition
row); ``spec`` follows the OpenAPI spec ("billing/v1", plural line types, price/unit/quantity wherever priced).
``variant`` > 0 gives a *restated* version of the day: the usage-independent quantities (connect throughput, Flink
minutes of pools without statements, REST produce, cluster-link and audit-log volumes) are redrawn; network, storage
and the CFU-minutes of pools running statements (their statements' CFUs, ``flink.py``) stay tied to metrics.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from billing_portal.simulator import pricing as P
from billing_portal.simulator.model import S_DAY_BILL, stream

if TYPE_CHECKING:
    from billing_portal.simulator.model import OrgModel

FLAVORS = ("live", "spec")
BILLING_MODELS = ("ecku", "legacy")
_ABSENT = object()


@dataclass(frozen=True)
class BillLine:
    """Ground truth of one row: exact decimals plus the row exactly as served."""

    day: date
    product: str
    line_type: str
    resource_id: str | None
    env_id: str | None
    price: Decimal | None
    quantity: Decimal | None
    original_amount: Decimal
    discount_amount: Decimal
    amount: Decimal
    row: dict[str, Any]


@dataclass(frozen=True)
class DayBill:
    day: date
    variant: int
    flavor: str
    lines: tuple[BillLine, ...]

    @property
    def rows(self) -> list[dict[str, Any]]:
        return [line.row for line in self.lines]

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal(0))

    def lines_for(self, resource_id: str | None = None, line_type: str | None = None) -> list[BillLine]:
        return [x for x in self.lines
                if (resource_id is None or x.resource_id == resource_id)
                and (line_type is None or x.line_type == line_type)]


def api_version(flavor: str) -> str:
    return "v1" if flavor == "live" else "billing/v1"


def _num(value: Decimal) -> float:
    return float(value)


class _DayBillBuilder:
    def __init__(self, model: OrgModel, day: date, variant: int, flavor: str, billing_model: str = "ecku"):
        if flavor not in FLAVORS:
            raise ValueError(f"unknown flavor {flavor!r}; choose one of {', '.join(FLAVORS)}")
        if billing_model not in BILLING_MODELS:
            raise ValueError(f"unknown billing model {billing_model!r}; choose one of {', '.join(BILLING_MODELS)}")
        self.ecku = billing_model == "ecku"
        self.model = model
        self.day = day
        self.variant = variant
        self.flavor = flavor
        self.live = flavor == "live"
        self.rng = stream(model.seed, model.scale, S_DAY_BILL, day.toordinal(), variant)
        self.lines: list[BillLine] = []

    # ---- row assembly -------------------------------------------------------------------------------------
    def add(self, *, product: str, line_type: str, resource: dict | None | object, quantity: Decimal | None,
            price: Decimal | None, unit: str | None, network: str | None = "INTERNET",
            tier: dict | None = None, description: str | None = None, omit: tuple[str, ...] = (),
            fixed_amount: Decimal | None = None) -> None:
        if fixed_amount is not None:
            original, discount, amount = fixed_amount, Decimal(0), fixed_amount
        else:
            original, discount, amount = P.amounts(quantity, price, P.discount_rate(line_type))
        resource_id = resource["id"] if isinstance(resource, dict) else None
        env_id = (resource.get("environment") or {}).get("id") if isinstance(resource, dict) else None
        key = f"{self.day}|{resource_id}|{product}|{line_type}"
        row: dict[str, Any] = {
            "api_version": api_version(self.flavor),
            "kind": "Cost",
            "id": "dlz-" + hashlib.sha1(key.encode()).hexdigest()[:7],
            "start_date": self.day.isoformat(),
            "end_date": (self.day + timedelta(days=1)).isoformat(),
            "granularity": "DAILY",
        }
        if network is not None:
            row["network_access_type"] = network
        row["product"] = product
        row["line_type"] = line_type
        for name, value in (("price", price), ("unit", unit), ("quantity", quantity)):
            if value is not None and name not in omit:
                row[name] = _num(value) if isinstance(value, Decimal) else value
        row["original_amount"] = _num(original)
        row["discount_amount"] = _num(discount)
        row["amount"] = _num(amount)
        if description is not None:
            row["description"] = description
        if tier is not None:
            row["tier_dimensions"] = tier
        if resource is not _ABSENT:
            row["resource"] = resource
        self.lines.append(BillLine(
            day=self.day, product=product, line_type=line_type, resource_id=resource_id, env_id=env_id,
            price=price if "price" not in omit else None, quantity=quantity if "quantity" not in omit else None,
            original_amount=original, discount_amount=discount, amount=amount, row=row))

    @staticmethod
    def resource(obj_id: str, display_name: str, env_id: str | None) -> dict:
        return {"id": obj_id, "display_name": display_name, "environment": {"id": env_id} if env_id else None}

    def draw_gb(self, low: float, high: float) -> Decimal:
        return P.round6(Decimal(repr(float(self.rng.uniform(low, high)))))

    # ---- products -------------------------------------------------------------------------------------------
    def build(self) -> DayBill:
        usage = self.model.usage(self.day)
        self.kafka(usage)
        self.cluster_link()
        self.connect()
        self.ksql()
        self.flink()
        self.governance()
        self.tableflow_and_unknown()
        self.org_level()
        return DayBill(day=self.day, variant=self.variant, flavor=self.flavor, lines=tuple(self.lines))

    def kafka(self, usage) -> None:
        model = self.model
        partitions: dict[str, int] = {}
        for t in model.topics:
            partitions[t.cluster_id] = partitions.get(t.cluster_id, 0) + t.partitions
        dedicated_pos = standard_pos = 0
        first_partition_row = True
        for ci, c in enumerate(model.kafka_clusters):
            res = self.resource(c.id, c.display_name, c.env_id)
            tier = {"provider": c.provider, "region": c.region}
            net = c.network_access_type
            if c.kind == "Dedicated":
                line = "KAFKA_NUM_CKU" if self.live and dedicated_pos % 2 == 1 else "KAFKA_NUM_CKUS"
                self.add(product="KAFKA", line_type=line, resource=res, quantity=Decimal(c.cku * 24),
                         price=P.CKU_HOURLY, unit="CKU-hour", network=net, tier=tier)
                dedicated_pos += 1
            elif self.ecku:
                # eCKU billing (orgs created after 2024-04-16): capacity in eCKU-hours, partitions included
                ecku = 1 if c.kind == "Basic" else 1 + ci % (2 if c.kind == "Standard" else 3)
                self.add(product="KAFKA", line_type="KAFKA_NUM_CKUS", resource=res, quantity=Decimal(ecku * 24),
                         price=P.ECKU_HOURLY[c.kind], unit="eCKU-hour", network=net, tier=tier)
            else:
                if c.kind in P.KAFKA_BASE_HOURLY:
                    self.add(product="KAFKA", line_type="KAFKA_BASE", resource=res, quantity=Decimal(24),
                             price=P.KAFKA_BASE_HOURLY[c.kind], unit="Hour", network=net, tier=tier)
                omit = ("price", "unit") if self.live and first_partition_row else ()
                first_partition_row = False
                self.add(product="KAFKA", line_type="KAFKA_PARTITION", resource=res,
                         quantity=Decimal(partitions.get(c.id, 0) * 24), price=P.PARTITION_HOURLY,
                         unit="Partition-hour", network=net, tier=tier, omit=omit)
            self.add(product="KAFKA", line_type="KAFKA_STORAGE", resource=res,
                     quantity=P.round6(P.bytes_to_gb(usage.cluster_retained_hour_sum[ci])),
                     price=P.STORAGE_GB_HOUR, unit="GB-hour", network=net, tier=tier)
            for line_type, total in (("KAFKA_NETWORK_WRITE", usage.cluster_request_total[ci]),
                                     ("KAFKA_NETWORK_READ", usage.cluster_response_total[ci])):
                if total <= 0:
                    continue
                gb = P.bytes_to_gb(total)
                if c.kind == "Dedicated" and gb > P.NETWORK_TIER1_LIMIT_GB:
                    first = P.NETWORK_TIER1_LIMIT_GB
                    self.add(product="KAFKA", line_type=line_type, resource=res, quantity=first, price=P.NETWORK_GB,
                             unit="GB", network=net, tier={**tier, "volume_tier": "1"})
                    self.add(product="KAFKA", line_type=line_type, resource=res, quantity=gb - first,
                             price=P.NETWORK_TIER2_GB, unit="GB", network=net, tier={**tier, "volume_tier": "2"})
                else:
                    self.add(product="KAFKA", line_type=line_type, resource=res, quantity=gb, price=P.NETWORK_GB,
                             unit="GB", network=net, tier=tier)
            if c.kind == "Standard":
                if standard_pos % 3 == 0 and not c.idle:
                    self.add(product="KAFKA", line_type="KAFKA_REST_PRODUCE", resource=res,
                             quantity=self.draw_gb(0.5, 40), price=P.REST_PRODUCE_GB, unit="GB", network=net,
                             tier=tier)
                standard_pos += 1

    def cluster_link(self) -> None:
        dedicated = [c for c in self.model.kafka_clusters if c.kind == "Dedicated"]
        for pos, c in enumerate(dedicated):
            if pos % 4:
                continue
            res = self.resource(c.id, c.display_name, c.env_id)
            tier = {"provider": c.provider, "region": c.region}
            links = 1 + pos % 3
            self.add(product="CLUSTER_LINK", line_type="CLUSTER_LINKING_PER_LINK", resource=res,
                     quantity=Decimal(links * 24), price=P.CLUSTER_LINK_HOURLY, unit="Link-hour",
                     network=c.network_access_type, tier=tier)
            self.add(product="CLUSTER_LINK", line_type="CLUSTER_LINKING_WRITE", resource=res,
                     quantity=self.draw_gb(1, 300), price=P.CLUSTER_LINK_WRITE_GB, unit="GB",
                     network=c.network_access_type, tier=tier)

    def connect(self) -> None:
        # static connectors all day; churn connectors (timeline.py) for the hours they lived that day, drawing from
        # their own stream so the static org's bill does not depend on the churn
        churn_rng = stream(self.model.seed, self.model.scale, S_DAY_BILL, self.day.toordinal(), self.variant, 1)
        for conn, hours, rng in ([(c, 24, self.rng) for c in self.model.connectors]
                                 + [(c, h, churn_rng) for c, h in self.model.timeline.connectors_on(self.day)]):
            if hours <= 0:
                continue
            c = self.model.cluster_by_id[conn.cluster_id]
            res = self.resource(conn.id, conn.name, conn.env_id)
            tier = {"provider": c.provider, "region": c.region}
            self.add(product="CONNECT", line_type="CONNECT_CAPACITY", resource=res, quantity=Decimal(hours),
                     price=P.CONNECT_CAPACITY_HOURLY, unit="Hour", tier=tier)
            self.add(product="CONNECT", line_type="CONNECT_NUM_TASKS", resource=res,
                     quantity=Decimal(conn.tasks * hours), price=P.CONNECT_TASK_HOURLY, unit="Task-hour", tier=tier)
            if conn.state == "RUNNING":
                self.add(product="CONNECT", line_type="CONNECT_THROUGHPUT", resource=res,
                         quantity=P.round6(Decimal(repr(float(rng.uniform(0.2, 120))))),
                         price=P.CONNECT_THROUGHPUT_GB, unit="GB", tier=tier)

    def ksql(self) -> None:
        for pos, k in enumerate(self.model.ksqldb_clusters):
            c = self.model.cluster_by_id[k.kafka_cluster_id]
            line = "KSQL_NUM_CSU" if self.live and pos % 2 == 1 else "KSQL_NUM_CSUS"
            self.add(product="KSQL", line_type=line, resource=self.resource(k.id, k.display_name, k.env_id),
                     quantity=Decimal(k.csu * 24), price=P.KSQL_CSU_HOURLY, unit="CSU-hour",
                     tier={"provider": c.provider, "region": c.region})

    def flink(self) -> None:
        by_statements = self.model.flink.pool_cfu_minutes(self.day)
        for pool in self.model.flink_pools:
            minutes = int(self.rng.uniform(0.05, 0.8) * pool.max_cfu * 1440)  # drawn for every pool (stable stream)
            if pool.id in self.model.flink.pools_with_statements:
                # the pool's consumption is its statements' (statement_utilization/current_cfus): tied to metrics
                minutes = by_statements.get(pool.id, 0)
            self.add(product="FLINK", line_type="FLINK_NUM_CFUS",
                     resource=self.resource(pool.id, pool.display_name, pool.env_id), quantity=Decimal(minutes),
                     price=P.FLINK_CFU_MINUTE, unit="CFU-minute",
                     tier={"provider": pool.cloud.lower(), "region": pool.region})

    def governance(self) -> None:
        for sr in self.model.schema_registries:
            res = self.resource(sr.id, "Stream Governance Package", sr.env_id)
            tier = {"provider": sr.cloud.lower(), "region": sr.region}
            if sr.package == "ADVANCED":
                self.add(product="STREAM_GOVERNANCE", line_type="GOVERNANCE_BASE", resource=res,
                         quantity=Decimal(24), price=P.GOVERNANCE_BASE_HOURLY, unit="Hour", tier=tier)
            billable = sr.schemas - P.FREE_SCHEMAS[sr.package]
            if billable > 0:
                self.add(product="STREAM_GOVERNANCE", line_type="SCHEMA_REGISTRY", resource=res,
                         quantity=Decimal(billable * 24), price=P.SCHEMA_HOURLY, unit="Schema-hour", tier=tier)

    def tableflow_and_unknown(self) -> None:
        model = self.model
        busy = [c for c in model.kafka_clusters if not c.idle and c.kind != "Basic"]
        c = busy[min(1, len(busy) - 1)]
        n_topics = min(3, sum(1 for t in model.topics if t.cluster_id == c.id))
        self.add(product="TABLEFLOW", line_type="TABLEFLOW_NUM_TOPICS",
                 resource=self.resource(c.id, c.display_name, c.env_id), quantity=Decimal(max(1, n_topics) * 24),
                 price=P.TABLEFLOW_TOPIC_HOURLY, unit="Topic-hour", tier={"provider": c.provider, "region": c.region})
        env = model.environments[0]
        self.add(product="NEW_PRODUCT_X", line_type="SOMETHING_NEW",
                 resource=self.resource(model.unknown_resource_id, "experimental-feature", env.id),
                 quantity=Decimal(24), price=P.UNKNOWN_PRODUCT_HOURLY, unit="Widget-hour")

    def org_level(self) -> None:
        self.add(product="AUDIT_LOG", line_type="AUDIT_LOG_READ",
                 resource=self.resource(self.model.audit_log_cluster_id, "audit-log", None),
                 quantity=self.draw_gb(0.01, 3), price=P.AUDIT_LOG_READ_GB, unit="GB")
        month_days = _days_in_month(self.day)
        for product, monthly in P.SUPPORT_MONTHLY.items():
            quantity = P.round8(Decimal(1) / Decimal(month_days))
            omit = ("price", "unit", "quantity") if self.live else ()
            self.add(product=product, line_type="SUPPORT", resource=None, quantity=quantity, price=monthly,
                     unit="Month", network=None, omit=omit)
        self.add(product="PROMO_CREDIT", line_type="PROMO_CREDIT", resource=_ABSENT, quantity=None, price=None,
                 unit=None, network=None, description="Promotional credit CCLOUDPROMO400 applied",
                 fixed_amount=P.PROMO_CREDIT_DAILY)


def _days_in_month(day: date) -> int:
    nxt = date(day.year + (day.month == 12), day.month % 12 + 1, 1)
    return (nxt - date(day.year, day.month, 1)).days


def generate_day_bill(model: OrgModel, day: date, variant: int = 0, flavor: str = "live",
                      billing_model: str = "ecku") -> DayBill:
    return _DayBillBuilder(model, day, variant, flavor, billing_model).build()
