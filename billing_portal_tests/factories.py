"""Synthetic warehouse data for tests, written through the product's real writers.

`write_day(url, day)` writes one complete day the way the pipeline does: bill lines and quarantined rows
(`replace_day_tables`, `copy_frame`), object snapshots, hourly cost facts (`assets.facts.write.write_facts`), the
confidence KPIs (`cost_confidence_daily`) and the `partition_status` bookkeeping (`WarehouseResource.record_status`),
each day in one transaction. Every bill line's facts sum exactly to the line (integer units of 1e-8 USD), so the
data reconciles like real output.

The default day (`default_lines`) has five lines: two Kafka clusters shared by three service accounts, a connector,
a support charge (UNALLOCATED) and a promotional credit. `scale` multiplies every amount (to vary days or to
simulate a restatement).
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
import pandas as pd
import psycopg

from billing_portal.defs.facts.write import write_facts
from billing_portal.defs.writes import replace_day_tables, table_columns
from billing_portal.money import UNIT, from_units, to_units
from billing_portal.resources.warehouse import WarehouseResource
from billing_portal.warehouse.connection import transaction
from billing_portal.warehouse.copy import copy_frame

ORG = "org-prod"


@dataclass(frozen=True)
class Payer:
    principal_id: str
    weight: int
    team: str | None = None
    business_unit: str | None = None
    cost_center: str | None = None
    owner: str | None = None
    principal_type: str = "service_account"
    method: str = "usage_share"
    reason: str = "network_bytes_share"
    confidence: str = "high"


@dataclass(frozen=True)
class Line:
    product: str
    line_type: str
    amount: Decimal
    payers: tuple[Payer, ...]
    resource_id: str | None = None
    resource_type: str | None = None
    env_id: str | None = None
    cluster_id: str | None = None
    original_amount: Decimal | None = None
    description: str | None = None
    unit: str | None = "Hour"
    price: Decimal | None = None
    quantity: Decimal | None = None


SA1 = dict(principal_id="sa-1", team="payments", business_unit="commerce", cost_center="CC-100", owner="ana@x.io")
SA2 = dict(principal_id="sa-2", team="search", business_unit="platform", cost_center="CC-200", owner="bob@x.io")
SA3 = dict(principal_id="sa-3", team="search", business_unit="platform", cost_center="CC-200", owner="bob@x.io")
UNALLOCATED = Payer("UNALLOCATED", 1, principal_type=None, method="unallocated", reason="no_resource_on_line",
                    confidence="low")


def default_lines(scale: Decimal | str | int = 1) -> list[Line]:
    s = Decimal(str(scale))
    return [
        Line("KAFKA", "KAFKA_NUM_CKUS", (Decimal("48.00000000") * s).quantize(UNIT),
             (Payer(**SA1, weight=3, method="hybrid", reason="shared_hybrid_split", confidence="medium"),
              Payer(**SA2, weight=1, method="hybrid", reason="shared_hybrid_split", confidence="medium")),
             resource_id="lkc-aaa", resource_type="kafka_cluster", env_id="env-1", cluster_id="lkc-aaa",
             original_amount=(Decimal("60.00000000") * s).quantize(UNIT), price=Decimal("2.5"),
             quantity=Decimal("24")),
        Line("KAFKA", "KAFKA_NETWORK_READ", (Decimal("7.20000000") * s).quantize(UNIT),
             (Payer(**SA2, weight=2), Payer(**SA3, weight=1)),
             resource_id="lkc-bbb", resource_type="kafka_cluster", env_id="env-2", cluster_id="lkc-bbb",
             unit="GB", price=Decimal("0.05"), quantity=Decimal("144")),
        Line("CONNECT", "CONNECT_CAPACITY", (Decimal("2.40000000") * s).quantize(UNIT),
             (Payer(**SA1, weight=1, method="object_owner", reason="connector_service_account"),),
             resource_id="lcc-1", resource_type="connector", env_id="env-1", cluster_id="lkc-aaa"),
        Line("SUPPORT_CLOUD_BUSINESS", "SUPPORT", (Decimal("1.20000000") * s).quantize(UNIT), (UNALLOCATED,),
             unit=None),
        Line("KAFKA", "PROMO_CREDIT", (Decimal("-0.96000000") * s).quantize(UNIT), (UNALLOCATED,),
             description="Promotional credit", unit=None),
    ]


@dataclass
class DayData:
    day: dt.date
    lines: list[Line]
    facts: pd.DataFrame
    billed: Decimal
    quarantined: Decimal
    hourly: dict[dt.datetime, Decimal] = field(default_factory=dict)


def _split(units: int, weights: list[int]) -> list[int]:
    """Largest-remainder split of integer units by weights (exact; signs preserved)."""
    sign = -1 if units < 0 else 1
    total, mag = sum(weights), abs(units)
    parts = [mag * w // total for w in weights]
    rest = mag - sum(parts)
    order = sorted(range(len(weights)), key=lambda i: -(mag * weights[i] % total))
    for i in order[:rest]:
        parts[i] += 1
    return [sign * p for p in parts]


def build_facts(day: dt.date, lines: list[Line], org_id: str = ORG) -> pd.DataFrame:
    """The allocation output for `lines`: per line, its payers by weight, then evenly over the 24 hours."""
    lo = pd.Timestamp(dt.datetime.combine(day, dt.time()), tz="UTC")
    rows = []
    for line_no, line in enumerate(lines):
        by_payer = _split(to_units(line.amount), [p.weight for p in line.payers])
        for payer, units in zip(line.payers, by_payer, strict=False):
            for h, hour_units in enumerate(_split(units, [1] * 24)):
                rows.append({
                    "hour": lo + pd.Timedelta(hours=h), "line_no": line_no, "org_id": org_id, "env_id": line.env_id,
                    "resource_id": line.resource_id, "resource_type": line.resource_type,
                    "cluster_id": line.cluster_id, "product": line.product, "line_type": line.line_type,
                    "principal_id": payer.principal_id, "principal_type": payer.principal_type, "owner": payer.owner,
                    "team": payer.team, "business_unit": payer.business_unit, "business_product": None,
                    "cost_center": payer.cost_center, "allocation_method": payer.method,
                    "allocation_reason": payer.reason, "confidence": payer.confidence, "amount_units": hour_units,
                })
    frame = pd.DataFrame(rows)
    frame["amount_units"] = frame["amount_units"].astype(np.int64)
    return frame


def _bill_frame(day: dt.date, lines: list[Line], org_id: str) -> pd.DataFrame:
    rows = []
    for line_no, line in enumerate(lines):
        original = line.original_amount if line.original_amount is not None else line.amount
        rows.append({
            "line_no": line_no, "line_hash": f"h{day:%Y%m%d}{line_no}", "source_id": f"src-{line_no}",
            "org_id": org_id, "env_id": line.env_id, "resource_id": line.resource_id,
            "resource_name": f"{line.resource_id}-name" if line.resource_id else None, "product": line.product,
            "line_type": line.line_type, "network_access_type": "INTERNET", "granularity": "DAILY",
            "price": str(line.price) if line.price is not None else None, "unit": line.unit,
            "quantity": str(line.quantity) if line.quantity is not None else None,
            "original_amount": f"{original:f}", "discount_amount": f"{original - line.amount:f}",
            "amount": f"{line.amount:f}", "description": line.description,
            "tier_dimensions": json.dumps({"provider": "aws", "region": "us-east-1"}) if line.cluster_id else None,
            "raw": json.dumps({"line_type": line.line_type, "amount": float(line.amount)}),
        })
    return pd.DataFrame(rows)


COVERAGE = {"usage_share": "by_usage", "hybrid": "by_usage", "object_owner": "by_ownership",
            "resource_owner": "by_ownership", "env_owner": "by_ownership", "key_holders_even": "by_ownership",
            "even_active_principals": "by_fallback", "distribution_rule": "by_fallback", "unallocated": "unallocated"}


def confidence_frame(facts: pd.DataFrame) -> pd.DataFrame:
    """cost_confidence_daily rows (scopes total / team / business_unit) from facts, as the pipeline defines them."""
    f = facts.copy()
    f["bucket"] = [("unallocated" if p == "UNALLOCATED" else COVERAGE.get(m, "by_fallback"))
                   for p, m in zip(f["principal_id"], f["allocation_method"], strict=False)]
    scopes = [("total", pd.Series("all", index=f.index)), ("team", f["team"].fillna("unknown")),
              ("business_unit", f["business_unit"].fillna("unknown"))]
    out = []
    for scope_type, values in scopes:
        for value, g in f.groupby(values):
            row = {"scope_type": scope_type, "scope_value": value}
            row["total_usd"] = int(g["amount_units"].sum())
            for level in ("high", "medium", "low"):
                row[f"{level}_usd"] = int(g.loc[g["confidence"] == level, "amount_units"].sum())
            for bucket in ("by_usage", "by_ownership", "by_fallback", "unallocated"):
                row[f"{bucket}_usd"] = int(g.loc[g["bucket"] == bucket, "amount_units"].sum())
            out.append(row)
    frame = pd.DataFrame(out)
    for c in frame.columns:
        if c.endswith("_usd"):
            frame[c] = [f"{from_units(v):f}" for v in frame[c]]
    return frame


def _objects(day: dt.date, org_id: str) -> dict[str, pd.DataFrame]:
    raw = json.dumps({"synthetic": True})
    return {
        "organizations": pd.DataFrame([{"org_id": org_id, "display_name": "Production Org", "raw": raw}]),
        "environments": pd.DataFrame([{"env_id": "env-1", "display_name": "prod", "raw": raw},
                                      {"env_id": "env-2", "display_name": "analytics", "raw": raw}]),
        "kafka_clusters": pd.DataFrame([
            {"cluster_id": "lkc-aaa", "env_id": "env-1", "display_name": "prod-cluster", "cluster_kind": "Dedicated",
             "cloud": "AWS", "region": "us-east-1", "raw": raw},
            {"cluster_id": "lkc-bbb", "env_id": "env-2", "display_name": "analytics-cluster",
             "cluster_kind": "Standard", "cloud": "GCP", "region": "europe-west1", "raw": raw}]),
        "service_accounts": pd.DataFrame([
            {"principal_id": p, "display_name": f"{p}-app", "description": "test", "raw": raw}
            for p in ("sa-1", "sa-2", "sa-3")]),
    }


def write_day(url: str, day: dt.date, lines: list[Line] | None = None, *, scale: Decimal | str | int = 1,
              quarantine: list[tuple[str, Decimal | None]] = (), org_id: str = ORG, objects: bool = True,
              confidence: bool = True, run_id: str = "test-run", publish: bool = True) -> DayData:
    """Write one complete day (bill, quarantine, objects, facts, confidence, partition_status) in one transaction,
    then, as the job's `metrics_ledger` asset does after the facts, bring the /metrics ledger up to date (`publish`)."""
    lines = lines if lines is not None else default_lines(scale)
    facts = build_facts(day, lines, org_id)
    bill = _bill_frame(day, lines, org_id)
    billed = sum((ln.amount for ln in lines), Decimal(0))
    q_amount = sum((a for _, a in quarantine if a is not None), Decimal(0))
    with transaction(url) as conn:
        replace_day_tables(conn, day, {"billing_costs": bill}, "usage_date")
        conn.execute("DELETE FROM quarantine_rows WHERE source = 'billing' AND usage_date = %s", (day,))
        if quarantine:
            q = pd.DataFrame([{"source": "billing", "usage_date": day, "reason": reason,
                               "amount": f"{a:f}" if a is not None else None, "raw": "{}"}
                              for reason, a in quarantine])
            copy_frame(conn, "quarantine_rows", q, [c for c in table_columns(conn, "quarantine_rows")
                                                    if c in q.columns])
        WarehouseResource.record_status(conn, "billing_costs", day, len(bill), billed, run_id,
                                        {"quarantined": len(quarantine)})
        if objects:
            replace_day_tables(conn, day, _objects(day, org_id), "snapshot_date")
        rows = write_facts(conn, day, facts)
        WarehouseResource.record_status(conn, "hourly_cost_facts", day, rows, billed, run_id)
        if confidence:
            conf = confidence_frame(facts)
            replace_day_tables(conn, day, {"cost_confidence_daily": conf}, "usage_date")
            WarehouseResource.record_status(conn, "cost_confidence", day, len(conf), None, run_id)
    if publish:
        publish_metrics(url)
    hourly = {h.to_pydatetime(): from_units(int(u)) for h, u in facts.groupby("hour")["amount_units"].sum().items()}
    return DayData(day, lines, facts, billed, q_amount, hourly)


def publish_metrics(url: str, window_days: int = 8) -> dict:
    """What the `metrics_ledger` asset does: the ledger of the window ending at the newest complete day."""
    from billing_portal.defs.metrics.ledger import sync
    from billing_portal.sidecar.query import newest_complete_day

    with psycopg.connect(url, autocommit=True) as conn:
        newest, _ = newest_complete_day(conn)
        return sync(conn, newest, window_days)


def write_days(url: str, first: dt.date, n: int, **kwargs) -> list[DayData]:
    """`n` consecutive days from `first`; day i is scaled by (1 + i/10) so days differ."""
    out = []
    for i in range(n):
        scale = Decimal(1) + Decimal(i) / 10
        out.append(write_day(url, first + dt.timedelta(days=i), scale=scale, **kwargs))
    return out


# --- a real WSGI server for HTTP tests --------------------------------------------------------------------------
class LiveServer:
    """The sidecar behind waitress (the production WSGI server) on a free loopback port, in a thread."""

    def __init__(self, app, threads: int = 8):
        import waitress

        self.app = app
        self.server = waitress.create_server(app, host="127.0.0.1", port=0, threads=threads, ident="bp-test")
        self.port = self.server.effective_port
        self.url = f"http://127.0.0.1:{self.port}"
        import threading

        self._closing = False
        self._thread = threading.Thread(target=self._run, name="waitress-test", daemon=True)

    def _run(self) -> None:
        try:
            self.server.run()
        except (OSError, ValueError):
            if not self._closing:  # closing the sockets under a running select() is expected at shutdown
                raise

    def __enter__(self) -> LiveServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        from waitress import wasyncore

        self._closing = True
        self.server.close()
        wasyncore.close_all(self.server._map)  # keep-alive channels would keep the loop running
        self.server.task_dispatcher.shutdown(timeout=2)
        self._thread.join(timeout=5)
        pool = getattr(self.app, "extensions", {}).get("warehouse_pool")
        if pool is not None:
            pool.close(timeout=2)


def sidecar_app(database_url: str, **env: str):
    """create_app with settings from `env` only (the developer's .env and environment are ignored)."""
    from billing_portal.config import load_settings
    from billing_portal.sidecar.app import create_app

    return create_app(database_url, load_settings(dict(env)))


def require_binary(name: str) -> str:
    """Path of a system binary; when missing: skip (locally) or fail (under CI=true)."""
    import os
    import shutil

    import pytest

    path = shutil.which(name)
    if path:
        return path
    reason = f"{name} is not installed (Debian: apt-get install -y {'prometheus' if name == 'promtool' else name})"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(reason + " - required under CI=true")
    print(f"SKIP: {reason}")
    pytest.skip(reason)


def module_database(pg_server_url: str, template: str):
    """A fresh migrated database shared by a test module (like conftest's per-test `database_url`, for read-only
    tests that can share seeded data): a generator for a module-scoped fixture."""
    import uuid
    from urllib.parse import urlsplit, urlunsplit

    import psycopg

    def with_db(name: str) -> str:
        p = urlsplit(pg_server_url)
        return urlunsplit((p.scheme, p.netloc, "/" + name, p.query, p.fragment))

    name = f"bpm_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(with_db("postgres"), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name} TEMPLATE {template}")
    try:
        yield with_db(name)
    finally:
        with psycopg.connect(with_db("postgres"), autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


# The collect API's bearer token of the seeded live sidecars (schemathesis, hostile-input tests).
API_TOKEN = "api-test-token-0123456789"


class StandInLauncher:
    """Answers like DagsterLauncher without a Dagster instance."""

    def launch(self, job_name, start, end, extra_tags=None) -> str:
        return str(uuid.uuid4())

    def status(self, run_id: str) -> str:
        return "SUCCESS"
