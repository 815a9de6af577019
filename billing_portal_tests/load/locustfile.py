"""Locust user for the sidecar read API: /v1/costs (first and a deep page), /v1/costs/summary and /metrics.

The range is the dataset's days (LOAD_FROM_TS, LOAD_TO_TS: set by run_load.py from partition_status). Every non-2xx
answer, or a body that does not parse, is a failure.
"""

import os
import random

from locust import HttpUser, between, task

FROM_TS = os.environ.get("LOAD_FROM_TS", "2025-01-01T00:00:00Z")
TO_TS = os.environ.get("LOAD_TO_TS", "2025-01-31T00:00:00Z")
DAYS = [d for d in os.environ.get("LOAD_DAYS", "").split(",") if d]
GROUPS = ["team", "business_unit", "cluster_id", "product", "cost_center"]


class ApiUser(HttpUser):
    wait_time = between(0.05, 0.2)

    def _day_range(self) -> str:
        if not DAYS:
            return f"from_ts={FROM_TS}&to_ts={TO_TS}"
        day = random.choice(DAYS)
        return f"from_ts={day}T00:00:00Z&to_ts={day}T23:59:59Z"

    @task(2)
    def costs_one_day(self):
        with self.client.get(f"/v1/costs?{self._day_range()}&limit=1000", name="/v1/costs (1 day)",
                             catch_response=True) as r:
            if r.status_code != 200 or "data" not in r.json():
                r.failure(f"{r.status_code} {r.text[:200]}")

    @task(2)
    def costs_range(self):
        with self.client.get(f"/v1/costs?from_ts={FROM_TS}&to_ts={TO_TS}&limit=1000", name="/v1/costs (30 days)",
                             catch_response=True) as r:
            if r.status_code != 200 or "data" not in r.json():
                r.failure(f"{r.status_code} {r.text[:200]}")

    @task(3)
    def summary(self):
        group = random.choice(GROUPS)
        with self.client.get(f"/v1/costs/summary?from_ts={FROM_TS}&to_ts={TO_TS}&group_by={group}&granularity=day",
                             name="/v1/costs/summary", catch_response=True) as r:
            if r.status_code != 200 or "total_usd" not in r.json():
                r.failure(f"{r.status_code} {r.text[:200]}")

    @task(1)
    def metrics(self):
        with self.client.get("/metrics", name="/metrics", catch_response=True) as r:
            if r.status_code != 200 or "ccloud_cost" not in r.text:
                r.failure(f"{r.status_code} {r.text[:200]}")
