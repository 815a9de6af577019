"""Flink statements on the compute pools, and what they consume, as the live APIs show them.

Live (../shared/CONFLUENT_API.md, "Flink statements"): statements are listed per environment by the regional Flink
API (``flink.{region}.{cloud}.confluent.cloud/sql/v1/…/statements``, a region-scoped Flink API key), each with
``spec.principal`` (the identity it runs as) and ``spec.compute_pool_id``; a deleted statement vanishes from the
list. ``io.confluent.flink/statement_utilization/current_cfus`` (a gauge, per ``resource.compute_pool.id`` and
``resource.flink_statement.name``) says how many CFUs each statement uses, and the pool's bill follows the pool's
consumption, so the statements' CFUs are the weights of the pool's FLINK_NUM_CFUS line.

The workload, deterministic per (seed, scale) and independent of the clock:

* every compute pool but the last one (when there are two or more) runs 2–4 **long-running statements** (created in
  2023, never deleted; one of them in the org is stopped: listed with phase STOPPED, no CFUs); the last pool runs
  none — its bill is the pool's own, without statement metrics (the "pool owner" case);
* on each pool with statements, every ``CHURN_PERIOD_DAYS`` days a **churn statement** is created at a whole hour
  and deleted ``CHURN_LIFE_DAYS`` days later (it vanishes from the list; its CFUs stay in the metrics while they are
  retained), and every third cycle an **ephemeral statement** (a workspace query) lives ``EPHEMERAL_HOURS`` hours
  the same day — usually never seen by a daily listing;
* principals: service accounts of the pool's environment, sometimes a user; one statement names its principal by
  CRN (``crn://confluent.cloud/organization=…/identity-pool=pool-…``), as the API allows;
* CFUs per statement and hour: its base level (1 … max_cfu / 4) × a daily factor, at least 1 while running.

``FlinkWorkload.cfus(day)`` is (statements × 24) int64; the pool's billed CFU-minutes on a day are the sum of its
statements' CFUs × 60.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np

from billing_portal.simulator import names
from billing_portal.simulator.entities import FlinkPool
from billing_portal.simulator.timeline import HORIZON, midnight

CHURN_PERIOD_DAYS = 5
CHURN_LIFE_DAYS = 8
EPHEMERAL_HOURS = 3
VERBS = ("enrich", "dedupe", "aggregate", "join", "filter", "route", "window")


@dataclass(frozen=True)
class FlinkStatement:
    name: str
    uid: str
    org_id: str
    env_id: str
    compute_pool_id: str
    principal_id: str       # the identity (sa-/u-/pool-)
    principal: str          # as spec.principal shows it (the id, or a CRN)
    sql: str
    created_at: datetime
    deleted_at: datetime | None
    stopped: bool
    base_cfu: int

    def listed(self, t: datetime) -> bool:
        return self.created_at <= t and (self.deleted_at is None or t < self.deleted_at)


class FlinkWorkload:
    """The statements of every pool (static then churn, in creation order) and their hourly CFUs."""

    def __init__(self, statements: list[FlinkStatement], seed_stream):
        self.statements = statements
        self._stream = seed_stream  # (day ordinal) -> np.random.Generator
        self.index = {(s.env_id, s.name): i for i, s in enumerate(statements)}
        self.pool_of = np.array([s.compute_pool_id for s in statements], dtype=object)
        self._created = np.array([s.created_at.timestamp() for s in statements], dtype=np.float64)
        self._deleted = np.array([s.deleted_at.timestamp() if s.deleted_at else np.inf for s in statements])
        self._running = np.array([not s.stopped for s in statements], dtype=bool)
        self._base = np.array([s.base_cfu for s in statements], dtype=np.float64)
        self.pools_with_statements = frozenset(s.compute_pool_id for s in statements)
        self._cache: dict[date, np.ndarray] = {}

    def listed(self, t: datetime, env_id: str | None = None, pool_id: str | None = None) -> list[FlinkStatement]:
        """What the statements list shows at `t` (deleted statements vanish)."""
        return [s for s in self.statements if s.listed(t) and (env_id is None or s.env_id == env_id)
                and (pool_id is None or s.compute_pool_id == pool_id)]

    def cfus(self, day: date) -> np.ndarray:
        """(statements × 24) int64: CFUs of each statement in each hour of `day` (0 when not running)."""
        cached = self._cache.get(day)
        if cached is not None:
            return cached
        start = midnight(day).timestamp()
        h0 = start + 3600 * np.arange(24)
        alive = (self._created[:, None] <= h0[None, :]) & (h0[None, :] + 3600 <= self._deleted[:, None])
        alive &= self._running[:, None]
        rng = self._stream(day.toordinal())
        factor = 0.6 + 0.8 * rng.random((len(self.statements), 24))
        values = np.where(alive, np.maximum(1, np.rint(self._base[:, None] * factor)), 0).astype(np.int64)
        if len(self._cache) > 64:
            self._cache.clear()
        self._cache[day] = values
        return values

    def pool_cfu_minutes(self, day: date) -> dict[str, int]:
        """Per pool with statements: its billed CFU-minutes on `day` (Σ statements' CFUs × 60)."""
        per_statement = self.cfus(day).sum(axis=1) * 60
        out: dict[str, int] = {}
        for pool, minutes in zip(self.pool_of.tolist(), per_statement.tolist(), strict=True):
            out[pool] = out.get(pool, 0) + int(minutes)
        return out


def build_workload(rng: np.random.Generator, ids, org_id: str, pools: list[FlinkPool], sas, users,
                   identity_pools, day_stream) -> FlinkWorkload:
    """Draw every statement over the timeline's HORIZON (see the module docstring)."""
    statements: list[FlinkStatement] = []
    running_pools = pools[:-1] if len(pools) >= 2 else list(pools)
    sas_by_env: dict[str, list] = {}
    for s in sas:
        sas_by_env.setdefault(s.home_env_id, []).append(s)
    used: set[tuple[str, str]] = set()

    def principal_for(pool: FlinkPool) -> str:
        if users and rng.random() < 0.25:
            return users[int(rng.integers(len(users)))].id
        candidates = sas_by_env.get(pool.env_id) or sas
        return candidates[int(rng.integers(len(candidates)))].id

    def name_for(pool: FlinkPool, stem: str) -> str:
        base = f"{stem}-{VERBS[int(rng.integers(len(VERBS)))]}-{ids.make('', 6).lstrip('-')}"
        while (pool.env_id, base) in used:
            base += "x"
        used.add((pool.env_id, base))
        return base

    def add(pool: FlinkPool, created: datetime, deleted: datetime | None, *, stopped: bool = False,
            stem: str | None = None, principal_id: str | None = None) -> None:
        stem = stem or names.TOPIC_STEMS[int(rng.integers(len(names.TOPIC_STEMS)))]
        pid = principal_id or principal_for(pool)
        sql = (f"INSERT INTO `{stem}-{VERBS[int(rng.integers(len(VERBS)))]}` SELECT * FROM `{stem}`"
               if deleted is None or deleted - created > timedelta(hours=EPHEMERAL_HOURS) else
               f"SELECT * FROM `{stem}` LIMIT 100;")
        statements.append(FlinkStatement(
            name=name_for(pool, stem), uid=ids.uuid(), org_id=org_id, env_id=pool.env_id,
            compute_pool_id=pool.id, principal_id=pid, principal=pid, sql=sql, created_at=created,
            deleted_at=deleted, stopped=stopped, base_cfu=int(rng.integers(1, max(2, pool.max_cfu // 4 + 1)))))

    for pool in running_pools:
        for _ in range(int(rng.integers(2, 5))):
            created = datetime(2023, 1, 1, tzinfo=UTC) + timedelta(hours=int(rng.integers(0, 300 * 24)))
            add(pool, created, None)
    if statements:
        last = statements[-1]
        statements[-1] = FlinkStatement(**{**last.__dict__, "stopped": True})
    if statements and identity_pools:  # one principal named by CRN, as the API allows
        first = statements[0]
        pool_id = identity_pools[0].id
        statements[0] = FlinkStatement(**{**first.__dict__, "principal_id": pool_id,
                                          "principal": f"crn://confluent.cloud/organization={org_id}"
                                                       f"/identity-pool={pool_id}"})
    first_day, last_day = HORIZON
    for pi, pool in enumerate(running_pools):
        cycle = 0
        day = first_day + timedelta(days=pi % CHURN_PERIOD_DAYS)
        while day <= last_day:
            created = midnight(day) + timedelta(hours=int(rng.integers(0, 24)))
            add(pool, created, created + timedelta(days=CHURN_LIFE_DAYS))
            if cycle % 3 == 0:
                start = midnight(day) + timedelta(hours=int(rng.integers(1, 24 - EPHEMERAL_HOURS)))
                add(pool, start, start + timedelta(hours=EPHEMERAL_HOURS), stem="workspace")
            cycle += 1
            day += timedelta(days=CHURN_PERIOD_DAYS)
    return FlinkWorkload(statements, day_stream)
