"""Sizes of the simulated organization.

``small`` is for the demo and the tests (fast); ``medium`` and ``large`` are for the benchmark. The figures are chosen
so that a per-(hour, principal, bill line) allocation of one day yields at least 100k fact rows (medium) and at least
1M fact rows (large); ``billing_portal.simulator.estimate`` computes the exact figure for a generated day.
"""

from __future__ import annotations

from dataclasses import dataclass

KINDS = ("Basic", "Standard", "Enterprise", "Dedicated")


@dataclass(frozen=True)
class ScaleSpec:
    name: str
    code: int  # mixed into every random stream, so scales never share randomness
    environments: int
    kafka_clusters: int
    idle_clusters: int  # clusters that never see traffic (allocation fallbacks)
    service_accounts: int
    users: int
    identity_pools: int
    principals_per_cluster: tuple[int, int]  # inclusive range, for clusters with traffic
    topics_per_cluster: tuple[int, int]
    connectors: int
    ksqldb_clusters: int
    flink_pools: int
    # cluster kinds: an explicit list (small: every kind present, deterministic) or weights for KINDS
    kinds: tuple[str, ...] | None = None
    kind_weights: tuple[float, float, float, float] = (0.15, 0.40, 0.15, 0.30)

    @property
    def principals(self) -> int:
        """Principals that exist in the org (service accounts, users, identity pools); metrics also show one
        deleted service account on top of these."""
        return self.service_accounts + self.users + self.identity_pools


SCALES: dict[str, ScaleSpec] = {
    "small": ScaleSpec(
        name="small", code=1, environments=3, kafka_clusters=7, idle_clusters=1,
        service_accounts=20, users=8, identity_pools=3,
        principals_per_cluster=(6, 11), topics_per_cluster=(4, 9),
        connectors=3, ksqldb_clusters=2, flink_pools=2,
        kinds=("Basic", "Standard", "Dedicated", "Standard", "Enterprise", "Dedicated", "Standard"),
    ),
    "medium": ScaleSpec(
        name="medium", code=2, environments=6, kafka_clusters=32, idle_clusters=2,
        service_accounts=300, users=100, identity_pools=20,
        principals_per_cluster=(40, 52), topics_per_cluster=(8, 20),
        connectors=24, ksqldb_clusters=6, flink_pools=6,
    ),
    "large": ScaleSpec(
        name="large", code=3, environments=12, kafka_clusters=210, idle_clusters=6,
        service_accounts=1500, users=450, identity_pools=80,
        principals_per_cluster=(58, 70), topics_per_cluster=(10, 24),
        connectors=120, ksqldb_clusters=30, flink_pools=30,
    ),
}


def get_scale(name: str | ScaleSpec) -> ScaleSpec:
    if isinstance(name, ScaleSpec):
        return name
    try:
        return SCALES[name]
    except KeyError:
        raise ValueError(f"unknown scale {name!r}; choose one of {', '.join(SCALES)}") from None
