"""How many hourly fact rows one simulated day yields under a per-(hour, principal, bill line) allocation.

The estimate (used by the benchmark to assert it exercised the scale it claims):

* a bill row whose resource is a Kafka cluster with traffic that day → one row per (hour, principal) with any
  traffic on that cluster (``request_bytes`` or ``response_bytes`` > 0);
* any other bill row (idle clusters, connectors, ksqlDB, Flink, governance, support, credits, …) → 24 rows
  (one per hour, to an owner or to ``UNALLOCATED``).

An allocation engine that attributes non-Kafka lines to several principals produces more; one that skips zero
amounts produces fewer. The figure is a planning number, not a contract.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from billing_portal.simulator.model import OrgModel, build_model
from billing_portal.simulator.scales import get_scale


@dataclass(frozen=True)
class FactRowEstimate:
    day: date
    kafka_usage_rows: int  # rows from Kafka-cluster lines split over active (hour, principal)
    hourly_rows: int  # 24 per other line
    bill_lines: int
    active_pair_hours: int  # Σ over clusters of active (hour, principal) pairs

    @property
    def total(self) -> int:
        return self.kafka_usage_rows + self.hourly_rows


def estimate_day(model: OrgModel, day: date, flavor: str = "live") -> FactRowEstimate:
    usage = model.usage(day)
    active = (usage.request_bytes > 0) | (usage.response_bytes > 0)
    per_cluster = np.zeros(len(model.kafka_clusters), dtype=np.int64)
    np.add.at(per_cluster, model.usage_profile.cluster, active.sum(axis=1))
    bill = model.bill(day, flavor=flavor)
    kafka_rows = hourly = 0
    for line in bill.lines:
        ci = model.cluster_index.get(line.resource_id) if line.resource_id else None
        if ci is not None and per_cluster[ci] > 0:
            kafka_rows += int(per_cluster[ci])
        else:
            hourly += 24
    return FactRowEstimate(day=day, kafka_usage_rows=kafka_rows, hourly_rows=hourly, bill_lines=len(bill.lines),
                           active_pair_hours=int(per_cluster.sum()))


def estimate_fact_rows(scale: str = "small", seed: int = 42, day: date = date(2024, 5, 1)) -> int:
    """Expected fact rows for one day of ``scale`` (see the module docstring for the counting rule)."""
    return estimate_day(build_model(seed, get_scale(scale)), day).total
