"""How the simulated organization changes over time, deterministically, like a live org does.

The live Confluent APIs describe only the present: a deleted service account, key or connector vanishes from the
lists, and a renamed owner shows only its new name. The simulator's org therefore has a timeline (same for a given
seed and scale, whatever the clock says), over ``HORIZON`` (2024-01-01 … 2028-12-31):

* **churn accounts**: every ``CHURN_PERIOD_DAYS`` days a new service account (``Owner: …`` description, one cluster
  API key) is created at a whole hour of that day, produces or consumes on one Kafka cluster while it lives, and is
  deleted ``CHURN_LIFE_DAYS`` days later (with its key) — so at any time one or two exist, and every few days one
  disappears after having been billed;
* **churn connectors**: every second churn account also runs a connector (SERVICE_ACCOUNT auth) on its cluster,
  created a day after the account and deleted two days before it; the connector's bill lines exist on the days it
  lives;
* **owner renames**: ``RENAMED_ACCOUNTS`` service accounts with traffic switch the owner in their description every
  ``RENAME_PERIOD_DAYS`` days at 00:00 UTC (between their original owner and another), with ``updated_at`` then.

``OrgModel.at(t)`` gives the lists as the API shows them at ``t``; usage and bills of a day include exactly the
churn objects alive during it (network bills follow the churn traffic; connector lines the connector's hours).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta

import numpy as np

from billing_portal.simulator.entities import ApiKey, Connector, ServiceAccount

HORIZON = (date(2024, 1, 1), date(2028, 12, 31))
CHURN_PERIOD_DAYS = 6
CHURN_LIFE_DAYS = 10
RENAME_PERIOD_DAYS = 11
RENAMED_ACCOUNTS = 2


def midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


@dataclass(frozen=True)
class Lifetime:
    created_at: datetime
    deleted_at: datetime

    def alive(self, t: datetime) -> bool:
        return self.created_at <= t < self.deleted_at

    def active_hours(self, day: date) -> np.ndarray:
        """(24,) bool: the hours of `day` that lie wholly inside the lifetime."""
        start = midnight(day)
        hours = np.array([start + timedelta(hours=h) for h in range(24)])
        return np.array([self.created_at <= h and h + timedelta(hours=1) <= self.deleted_at for h in hours])

    def overlaps(self, day: date) -> bool:
        return self.created_at < midnight(day) + timedelta(days=1) and self.deleted_at > midnight(day)


@dataclass(frozen=True)
class ChurnAccount:
    cycle: int
    account: ServiceAccount
    key: ApiKey
    cluster_index: int
    lifetime: Lifetime
    connector: Connector | None
    connector_lifetime: Lifetime | None


@dataclass(frozen=True)
class OwnerRename:
    """A service account whose described owner alternates between `owners[0]` (its original) and `owners[1]`."""

    account_id: str
    owners: tuple[str, str]
    phase: int

    def period(self, t: datetime) -> int:
        return (t.date().toordinal() + self.phase) // RENAME_PERIOD_DAYS

    def owner_at(self, t: datetime) -> str:
        return self.owners[self.period(t) % 2]

    def changed_at(self, t: datetime) -> datetime:
        """When the owner shown at `t` took effect (00:00 UTC of the rename day)."""
        return midnight(date.fromordinal(self.period(t) * RENAME_PERIOD_DAYS - self.phase))

    def owner_on(self, day: date) -> str:
        """The owner in effect during `day` (renames happen at 00:00, so one owner per day)."""
        return self.owner_at(midnight(day))

    def rename_days(self, first: date, last: date) -> list[date]:
        """Days in [first, last] on which the owner changes."""
        return [d for d in (first + timedelta(days=i) for i in range((last - first).days + 1))
                if self.period(midnight(d)) != self.period(midnight(d) - timedelta(days=1))]


@dataclass(frozen=True)
class Timeline:
    churn: tuple[ChurnAccount, ...]
    renames: tuple[OwnerRename, ...]

    def accounts_alive(self, t: datetime) -> list[ChurnAccount]:
        return [c for c in self.churn if c.lifetime.alive(t)]

    def connectors_alive(self, t: datetime) -> list[Connector]:
        return [c.connector for c in self.churn if c.connector is not None and c.connector_lifetime.alive(t)]

    def connectors_on(self, day: date) -> list[tuple[Connector, int]]:
        """(connector, hours it lived that day) for churn connectors alive during `day`."""
        out = []
        for c in self.churn:
            if c.connector is not None and c.connector_lifetime.overlaps(day):
                out.append((c.connector, int(c.connector_lifetime.active_hours(day).sum())))
        return out

    def renamed(self, account: ServiceAccount, t: datetime) -> ServiceAccount:
        for r in self.renames:
            if r.account_id == account.id:
                owner = r.owner_at(t)
                changed = r.changed_at(t)
                return replace(account, description=f"Owner: {owner}", owner_email=owner,
                               updated_at=max(changed, account.created_at))
        return account

    def rename_of(self, account_id: str) -> OwnerRename | None:
        return next((r for r in self.renames if r.account_id == account_id), None)

    def active_mask(self, day: date) -> np.ndarray:
        """(n_churn, 24) bool: hours each churn account can produce traffic on `day`."""
        if not self.churn:
            return np.zeros((0, 24), dtype=bool)
        rows = []
        for c in self.churn:
            rows.append(c.lifetime.active_hours(day) if c.lifetime.overlaps(day) else np.zeros(24, dtype=bool))
        return np.stack(rows)


def build_timeline(*, rng: np.random.Generator, ids, clusters, busy_indices: list[int], users, sas,
                   rename_candidates: list[int], team_names: tuple[str, ...], email_domain: str,
                   first_names: tuple[str, ...], connector_class: tuple[str, str]) -> Timeline:
    """Draw the churn accounts of every cycle in HORIZON and the renamed accounts (see the module docstring)."""
    first, last = HORIZON
    churn = []
    n_cycles = ((last - first).days - CHURN_LIFE_DAYS) // CHURN_PERIOD_DAYS
    for n in range(n_cycles):
        start = first + timedelta(days=n * CHURN_PERIOD_DAYS)
        created = midnight(start) + timedelta(hours=int(rng.integers(0, 12)))
        deleted = midnight(start + timedelta(days=CHURN_LIFE_DAYS)) + timedelta(hours=int(rng.integers(0, 12)))
        ci = busy_indices[int(rng.integers(len(busy_indices)))]
        cluster = clusters[ci]
        team = team_names[int(rng.integers(len(team_names)))]
        if users and rng.random() < 0.6:
            owner = users[int(rng.integers(len(users)))].email
        else:
            owner = f"{first_names[int(rng.integers(len(first_names)))]}@{email_domain}"
        sa = ServiceAccount(id=ids.make("sa"), display_name=f"{team}-churn-app-{n}", description=f"Owner: {owner}",
                            home_env_id=cluster.env_id, team=team, owner_email=owner, created_at=created,
                            deleted_at=deleted)
        key = ApiKey(id=ids.api_key(), display_name=f"churn-key-{n}", description="Kafka API key", owner_id=sa.id,
                     owner_kind="ServiceAccount", resource_id=cluster.id, resource_kind="Cluster",
                     env_id=cluster.env_id, created_at=created, deleted_at=deleted)
        connector = connector_life = None
        if n % 2 == 1:
            connector_life = Lifetime(created + timedelta(days=1), deleted - timedelta(days=2))
            cls, ctype = connector_class
            connector = Connector(id=ids.make("lcc", 5), name=f"churn-{cls.lower()}-{n}", env_id=cluster.env_id,
                                  cluster_id=cluster.id, connector_class=cls, connector_type=ctype,
                                  auth_mode="SERVICE_ACCOUNT", service_account_id=sa.id, api_key_shown="", tasks=1,
                                  state="RUNNING", principal_id=sa.id, created_at=connector_life.created_at,
                                  deleted_at=connector_life.deleted_at)
        churn.append(ChurnAccount(cycle=n, account=sa, key=key, cluster_index=ci,
                                  lifetime=Lifetime(created, deleted), connector=connector,
                                  connector_lifetime=connector_life))
    renames = []
    picks = rng.choice(len(rename_candidates), size=min(RENAMED_ACCOUNTS, len(rename_candidates)), replace=False)
    for pos in sorted(int(p) for p in picks):
        sa = sas[rename_candidates[pos]]
        other = next((u.email for u in users if u.email != sa.owner_email), f"new.owner@{email_domain}")
        renames.append(OwnerRename(account_id=sa.id, owners=(sa.owner_email, other),
                                   phase=int(rng.integers(0, RENAME_PERIOD_DAYS))))
    return Timeline(churn=tuple(churn), renames=tuple(renames))
