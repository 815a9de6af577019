"""The simulated organization's objects, as plain frozen dataclasses (ground truth for tests).

Fields hold what the wire format needs plus a few ground-truth facts the API does not show (e.g. ``owner_hint``,
``team``) so tests can check what a client inferred. Timestamps are timezone-aware UTC datetimes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Organization:
    id: str
    display_name: str
    created_at: datetime


@dataclass(frozen=True)
class Environment:
    id: str
    display_name: str
    sg_package: str  # ESSENTIALS | ADVANCED
    owner_hint: str | None  # the person named in the display name, if any
    created_at: datetime


@dataclass(frozen=True)
class KafkaCluster:
    id: str
    display_name: str
    env_id: str
    kind: str  # Basic | Standard | Enterprise | Dedicated
    cku: int | None
    cloud: str
    region: str
    availability: str
    network_access_type: str
    idle: bool  # never sees traffic
    owner_hint: str | None
    bootstrap_host: str
    created_at: datetime

    @property
    def provider(self) -> str:
        return self.cloud.lower()


@dataclass(frozen=True)
class ServiceAccount:
    id: str
    display_name: str
    description: str
    home_env_id: str
    team: str
    owner_email: str | None  # what the description says, if anything
    created_at: datetime
    deleted_at: datetime | None = None  # churn accounts (timeline.py): gone from the lists from then on
    updated_at: datetime | None = None  # last change of its description (owner renames), if any


@dataclass(frozen=True)
class User:
    id: str
    email: str
    full_name: str
    created_at: datetime


@dataclass(frozen=True)
class IdentityPool:
    """OAuth identity pools (iam/v2 identity-providers/{op}/identity-pools): principals in metrics, own no API keys;
    most descriptions name an owner (`Owner: …`), like service accounts."""

    id: str
    display_name: str
    description: str = ""
    provider_id: str = ""
    identity_claim: str = "claims.sub"
    filter: str = ""


@dataclass(frozen=True)
class ApiKey:
    id: str
    display_name: str
    description: str
    owner_id: str
    owner_kind: str  # ServiceAccount | User
    resource_id: str  # lkc-… | lsrc-… | "cloud"
    resource_kind: str  # Cluster | SchemaRegistry | Cloud
    env_id: str | None
    created_at: datetime
    deleted_at: datetime | None = None


@dataclass(frozen=True)
class Connector:
    id: str
    name: str
    env_id: str
    cluster_id: str
    connector_class: str
    connector_type: str  # source | sink
    auth_mode: str  # SERVICE_ACCOUNT | KAFKA_API_KEY
    service_account_id: str | None  # config kafka.service.account.id (SERVICE_ACCOUNT mode)
    api_key_shown: str  # config kafka.api.key as the API shows it (a key id, or masked)
    tasks: int
    state: str
    principal_id: str | None  # ground truth: the principal whose traffic is the connector's
    created_at: datetime | None = None  # churn connectors only (the connectors map carries no timestamps)
    deleted_at: datetime | None = None


@dataclass(frozen=True)
class KsqlCluster:
    id: str
    display_name: str
    env_id: str
    kafka_cluster_id: str
    csu: int
    credential_identity: str
    owner_hint: str | None
    created_at: datetime


@dataclass(frozen=True)
class FlinkPool:
    id: str
    display_name: str
    env_id: str
    cloud: str
    region: str
    max_cfu: int
    owner_hint: str | None
    created_at: datetime


@dataclass(frozen=True)
class SchemaRegistry:
    id: str
    env_id: str
    package: str
    cloud: str
    region: str
    schemas: int
    created_at: datetime


@dataclass(frozen=True)
class Topic:
    cluster_id: str
    name: str
    partitions: int
    owner: str | None
    owner_email: str | None
    tags: tuple[str, ...]
    business_metadata: dict[str, str] | None = field(default=None, hash=False, compare=False)
    guid: str = ""
    created_ms: int = 0


@dataclass(frozen=True)
class ClusterCatalogInfo:
    """Catalog annotations of a ``kafka_logical_cluster`` entity."""

    cluster_id: str
    tags: tuple[str, ...]
    business_metadata: dict[str, str] | None = field(default=None, hash=False, compare=False)
    guid: str = ""
