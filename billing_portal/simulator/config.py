"""Simulator options (what ``billing-portal simulate`` and ``start_simulator`` accept)."""

from __future__ import annotations

from dataclasses import dataclass, field

from billing_portal.simulator.billing import BILLING_MODELS, FLAVORS
from billing_portal.simulator.scales import SCALES

LIVE_BILLING_LAG_HOURS = 72.0
LIVE_METRICS_RETENTION_DAYS = 7

# API families, named after the first path segment (telemetry = metrics, Stream Catalog = catalog)
FAMILIES = ("org", "iam", "cmk", "connect", "ksqldbcm", "fcpm", "srcm", "billing", "metrics", "catalog")


@dataclass(frozen=True)
class RestrictedKey:
    """A key that authenticates but lacks the roles for some families, or for some environments / Schema Registries
    (→ 403 there, as a locked-down org answers)."""

    key: str
    secret: str
    denied: frozenset[str]
    denied_scopes: frozenset[str] = frozenset()  # env-… (its lists, connectors, metrics) and lsrc-… (its catalog)

    @classmethod
    def parse(cls, spec: str) -> RestrictedKey:
        """``KEY:SECRET:item,item`` where an item is a family (org, iam, cmk, connect, ksqldbcm, fcpm, srcm, billing,
        metrics, catalog), an environment id ``env-…`` or a Schema Registry id ``lsrc-…``."""
        parts = spec.split(":")
        if len(parts) != 3 or not parts[0] or not parts[1] or not parts[2]:
            raise ValueError(f"restricted key must be KEY:SECRET:item[,item…], got {spec!r}")
        items = {f.strip() for f in parts[2].split(",") if f.strip()}
        scopes = frozenset(i for i in items if i.startswith(("env-", "lsrc-")))
        denied = frozenset(items - scopes)
        unknown = denied - set(FAMILIES)
        if unknown:
            raise ValueError(f"unknown API families {sorted(unknown)} in {spec!r}; known: {', '.join(FAMILIES)}, "
                             "or an env-… / lsrc-… id")
        return cls(parts[0], parts[1], denied, scopes)


@dataclass(frozen=True)
class SimulatorConfig:
    seed: int = 42
    scale: str = "small"
    api_key: str = "SIMKEY"
    api_secret: str = "SIMSECRET"
    sr_api_key: str = "SIMSRKEY"
    sr_api_secret: str = "SIMSRSECRET"
    restricted_keys: tuple[RestrictedKey, ...] = ()
    # Live behaviour by default: a day's bill is published 72 h after it ends, and the Metrics API answers only for
    # the last 7 days (0: keep metrics forever, which no live org does).
    billing_lag_hours: float = LIVE_BILLING_LAG_HOURS
    metrics_retention_days: int = LIVE_METRICS_RETENTION_DAYS
    flavor: str = "live"  # live | spec (see billing.py)
    billing_model: str = "ecku"  # ecku (an org created after 2024-04-16) | legacy (base + partition charges)
    public_url: str | None = None  # base URL used in links; default: from the request's Host
    faults: tuple[str, ...] = field(default_factory=tuple)
    api_rate_limit: int | None = None  # requests per minute per key on api paths; None = advertised, not enforced
    telemetry_rate_limit: int | None = None  # same for the telemetry API

    def __post_init__(self):
        if self.scale not in SCALES:
            raise ValueError(f"unknown scale {self.scale!r}; choose one of {', '.join(SCALES)}")
        if self.billing_model not in BILLING_MODELS:
            raise ValueError(f"unknown billing model {self.billing_model!r}; choose one of {', '.join(BILLING_MODELS)}")
        if self.flavor not in FLAVORS:
            raise ValueError(f"unknown flavor {self.flavor!r}; choose one of {', '.join(FLAVORS)}")
        if self.billing_lag_hours < 0:
            raise ValueError("billing lag must be >= 0 hours")
        if self.metrics_retention_days < 0:
            raise ValueError("metrics retention must be >= 0 days (0: forever)")
        if self.public_url is not None and not self.public_url.startswith(("http://", "https://")):
            raise ValueError(f"public URL must start with http:// or https://, got {self.public_url!r}")
