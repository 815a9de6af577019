"""A synthetic large day for measuring `allocate_day` (no I/O): `python -m billing_portal.allocation.benchmark`.

The default shape mirrors a large organization: ~3k bill lines over 200 Kafka clusters (network, base, CKUs,
partitions, storage), connectors, ksqlDB, Flink, Schema Registry, support and a promo credit, and ~400k hourly usage
rows (principals × hours), which yields well over a million fact rows.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time

import numpy as np
import pandas as pd

from billing_portal.allocation.config import AllocationConfig
from billing_portal.allocation.engine import allocate_day
from billing_portal.allocation.inputs import DayInputs
from billing_portal.ownership import CoreObjects, OwnershipMapping, resolve_attribution

DAY = dt.date(2024, 5, 1)


def synthetic_day(clusters: int = 200, principals_per_cluster: int = 85, active_hours: float = 0.95,
                  connectors: int = 600, seed: int = 7) -> DayInputs:
    """A deterministic large day. Usage rows ≈ clusters × principals_per_cluster × 24 × active_hours."""
    rng = np.random.default_rng(seed)
    n_sa = max(2000, principals_per_cluster * 4)
    sas = [f"sa-{i:05d}" for i in range(n_sa)]
    envs = [f"env-{i:03d}" for i in range(12)]
    lkcs = [f"lkc-{i:05d}" for i in range(clusters)]
    cluster_env = [envs[i % len(envs)] for i in range(clusters)]

    # usage: each cluster has its own principals, each active in most hours
    rows_c, rows_p, rows_h = [], [], []
    for ci in range(clusters):
        members = rng.choice(n_sa, size=principals_per_cluster, replace=False)
        grid_h = np.repeat(np.arange(24), principals_per_cluster)
        grid_p = np.tile(members, 24)
        on = rng.random(len(grid_h)) < active_hours
        rows_c.append(np.full(on.sum(), ci))
        rows_p.append(grid_p[on])
        rows_h.append(grid_h[on])
    c = np.concatenate(rows_c)
    p = np.concatenate(rows_p)
    h = np.concatenate(rows_h)
    n = len(c)
    usage = pd.DataFrame({
        "hour": pd.Timestamp(DAY, tz="UTC") + pd.to_timedelta(h, unit="h"),
        "cluster_id": pd.array(np.array(lkcs, dtype=object)[c], dtype="str"),
        "principal_id": pd.array(np.array(sas, dtype=object)[p], dtype="str"),
        "request_bytes": rng.lognormal(12, 2, n) * (rng.random(n) < 0.8),
        "response_bytes": rng.lognormal(13, 2, n) * (rng.random(n) < 0.7),
    })

    lines = []

    def line(resource, env, product, line_type, amount_usd):
        lines.append({"org_id": "org-1", "env_id": env, "resource_id": resource, "resource_name": resource,
                      "product": product, "line_type": line_type,
                      "amount_units": int(round(amount_usd * 1e8))})

    for ci, lkc in enumerate(lkcs):
        env = cluster_env[ci]
        for lt in ("KAFKA_NETWORK_WRITE", "KAFKA_NETWORK_READ", "KAFKA_BASE", "KAFKA_NUM_CKUS", "KAFKA_PARTITION",
                   "KAFKA_STORAGE"):
            line(lkc, env, "KAFKA", lt, float(rng.uniform(1, 500)))
    conn_ids = [f"lcc-{i:05d}" for i in range(connectors)]
    for i, lcc in enumerate(conn_ids):
        env = cluster_env[i % clusters]
        for lt in ("CONNECT_CAPACITY", "CONNECT_NUM_TASKS", "CONNECT_THROUGHPUT"):
            line(lcc, env, "CONNECT", lt, float(rng.uniform(0.5, 50)))
    for i in range(100):
        line(f"lksqlc-{i:04d}", envs[i % len(envs)], "KSQL", "KSQL_NUM_CSUS", float(rng.uniform(5, 80)))
        line(f"lfcp-{i:04d}", envs[i % len(envs)], "FLINK", "FLINK_NUM_CFUS", float(rng.uniform(5, 80)))
    for i, env in enumerate(envs):
        line(f"lsrc-{i:04d}", env, "STREAM_GOVERNANCE", "GOVERNANCE_BASE", 25.0)
    line(None, None, "SUPPORT_CLOUD_BUSINESS", "SUPPORT", 1000.0)
    line(None, None, "PROMO_CREDIT", "PROMO_CREDIT", -400.0)
    lines_frame = pd.DataFrame(lines)
    lines_frame.insert(0, "line_no", np.arange(len(lines_frame), dtype=np.int64))

    objects = CoreObjects(
        environments=pd.DataFrame({"env_id": envs, "display_name": [f"e{i}-owner-team{i}" for i in range(len(envs))]}),
        kafka_clusters=pd.DataFrame({"cluster_id": lkcs, "env_id": cluster_env, "display_name": lkcs}),
        service_accounts=pd.DataFrame({"principal_id": sas, "display_name": sas,
                                       "description": [f"Owner: user{i % 300}@company.com" for i in range(n_sa)]}),
        api_keys=pd.DataFrame({"key_id": [f"KEY{i}" for i in range(clusters)], "owner_id": sas[:clusters],
                               "owner_kind": "ServiceAccount", "resource_id": lkcs}),
        connectors=pd.DataFrame({"connector_id": conn_ids, "connector_name": conn_ids,
                                 "env_id": [cluster_env[i % clusters] for i in range(connectors)],
                                 "cluster_id": [lkcs[i % clusters] for i in range(connectors)],
                                 "auth_mode": "SERVICE_ACCOUNT",
                                 "service_account_id": [sas[i % n_sa] for i in range(connectors)]}),
    )
    mapping = OwnershipMapping.model_validate(
        {"owners": {f"user{i}@company.com": {"team": f"team{i % 40}", "business_unit": f"bu{i % 6}"}
                    for i in range(300)}})
    principals, resources = resolve_attribution(objects, None, mapping, usage)
    return DayInputs(usage_date=DAY, org_id="org-1", lines=lines_frame, usage=usage, objects=objects,
                     principals=principals, resources=resources)


def measure(inputs: DayInputs, config: AllocationConfig | None = None, repeat: int = 3) -> dict:
    """Best-of-`repeat` wall time of allocate_day on `inputs`."""
    best, result = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = allocate_day(inputs, config or AllocationConfig())
        best = min(best, time.perf_counter() - t0)
    rows = result.table.num_rows
    return {"lines": len(inputs.lines), "usage_rows": len(inputs.usage), "fact_rows": rows, "seconds": round(best, 3),
            "rows_per_second": int(rows / best)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clusters", type=int, default=200)
    parser.add_argument("--principals-per-cluster", type=int, default=85)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    inputs = synthetic_day(args.clusters, args.principals_per_cluster)
    print(measure(inputs, repeat=args.repeat))


if __name__ == "__main__":
    main()
