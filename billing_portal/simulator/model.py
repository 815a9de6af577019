"""The deterministic organization generator: ``build_model(seed, scale) -> OrgModel``.

Everything is derived from ``(seed, scale)`` through independent numpy random streams (one per concern), so the
same inputs always give the same objects, the same hourly usage for a day and the same bill for a day — and the
HTTP layer serializes them deterministically, so responses are byte-identical too.

What the org contains (see ``scales.py`` for the counts):

* one organization; environments named ``env-<domain>-owner-<person>`` (about a third without an owner hint, e.g.
  ``payments-prod``), each with a Stream Governance package (ESSENTIALS/ADVANCED) and one Schema Registry;
* Kafka clusters of every kind (Dedicated ones with CKUs), named ``kafka-<stage>-owner-<team>`` or without a hint;
  a few *idle* clusters never see traffic (their bills still carry base/partition/storage lines);
* service accounts (descriptions ``Owner: first.last@company.com`` for most), users, identity pools (principals in
  metrics only) and one *deleted* service account that still shows in metrics but in no list;
* API keys: most (cluster, principal) pairs with traffic have a cluster key, some principals with traffic have none
  (identity pools, connector/ksqlDB service accounts), and *dormant* service accounts have keys but no traffic;
  plus Cloud keys and Schema Registry keys;
* connectors in every auth mode (SERVICE_ACCOUNT; KAFKA_API_KEY with a visible key id that the api-keys list knows;
  KAFKA_API_KEY with a fully masked key), ksqlDB clusters and Flink compute pools, whose service accounts produce
  traffic on their Kafka cluster;
* Stream Catalog content: topics (``lsrc-…:lkc-…:<topic>``) and logical clusters (``lsrc-…:lkc-…``) with owner
  attributes, tags (``team_<team>``, ``cost_center_<n>``, ``PII``) and ``cost_allocation`` business metadata.

Objects created in 2022–2023 are static; on top of them the org changes over time (``timeline.py``: churn service
accounts with keys and connectors created and deleted, owners renamed on given days). ``OrgModel.at(t)`` is the org as
the API shows it at ``t``; usage and bills vary by day and include the churn objects alive that day.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import numpy as np

from billing_portal.simulator import names
from billing_portal.simulator.cache import ComputeOnceCache
from billing_portal.simulator.entities import (
    ApiKey,
    ClusterCatalogInfo,
    Connector,
    Environment,
    FlinkPool,
    IdentityPool,
    KafkaCluster,
    KsqlCluster,
    Organization,
    SchemaRegistry,
    ServiceAccount,
    Topic,
    User,
)
from billing_portal.simulator.ids import IdFactory
from billing_portal.simulator.scales import KINDS, ScaleSpec, get_scale
from billing_portal.simulator.timeline import Timeline, build_timeline
from billing_portal.simulator.usage import (
    ChurnDay,
    DayUsage,
    TopicProfile,
    UsageProfile,
    concat_profiles,
    generate_day_usage,
    random_profile,
    random_topic_profile,
)

MASKED_KEY = "****************"
EPOCH = datetime(2022, 6, 1, tzinfo=UTC)

# random stream ids (one per concern, so changing one generator never shifts another)
_S_IDS, _S_ENVS, _S_CLUSTERS, _S_PRINCIPALS, _S_PAIRS, _S_KEYS, _S_APPS, _S_CATALOG, _S_PROFILE = range(1, 10)
_S_TIMELINE, _S_TIMELINE_IDS, _S_TIMELINE_PROFILE, _S_POOLS = 10, 11, 12, 13
_S_FLINK, _S_FLINK_IDS = 14, 15
S_DAY_USAGE, S_DAY_BILL, S_DAY_CHURN, S_DAY_FLINK = 20, 21, 22, 23
S_SCHEMAS = 24  # the catalog's schema entities (simulator/catalog.py)

PRINCIPAL_KINDS = ("ServiceAccount", "User", "IdentityPool", "DeletedServiceAccount")


def stream(seed: int, scale: ScaleSpec, *parts: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([int(seed) & 0xFFFFFFFF, scale.code, *parts]))


@dataclass
class OrgModel:
    seed: int
    scale: ScaleSpec
    organization: Organization
    environments: list[Environment]
    kafka_clusters: list[KafkaCluster]
    service_accounts: list[ServiceAccount]
    users: list[User]
    identity_pools: list[IdentityPool]
    deleted_service_account_id: str
    api_keys: list[ApiKey]
    connectors: list[Connector]
    ksqldb_clusters: list[KsqlCluster]
    flink_pools: list[FlinkPool]
    schema_registries: list[SchemaRegistry]
    topics: list[Topic]
    cluster_catalog: dict[str, ClusterCatalogInfo]
    principal_ids: list[str]  # index space of usage rows: SAs, users, pools, the deleted SA, then churn SAs
    principal_kinds: list[str]
    static_profile: UsageProfile  # pairs of the static principals
    churn_profile: UsageProfile  # one pair per churn account (timeline.churn order)
    topic_profile: TopicProfile
    audit_log_cluster_id: str
    unknown_resource_id: str
    timeline: Timeline
    _usage_cache: ComputeOnceCache = field(default_factory=lambda: ComputeOnceCache(40), repr=False)
    _bill_cache: ComputeOnceCache = field(default_factory=lambda: ComputeOnceCache(96), repr=False)

    def __post_init__(self) -> None:
        self.usage_profile = concat_profiles(self.static_profile, self.churn_profile)  # static pairs, then churn
        self._views: dict[datetime, OrgView] = {}
        self.cluster_index = {c.id: i for i, c in enumerate(self.kafka_clusters)}
        self.principal_index = {p: i for i, p in enumerate(self.principal_ids)}
        self.environment_by_id = {e.id: e for e in self.environments}
        self.cluster_by_id = {c.id: c for c in self.kafka_clusters}
        self.schema_registry_by_env = {s.env_id: s for s in self.schema_registries}
        self.topic_index = {(t.cluster_id, t.name): i for i, t in enumerate(self.topics)}
        self.user_by_id = {u.id: u for u in self.users}

    # ---- ground truth accessors -------------------------------------------------------------------------------
    def usage(self, day: date) -> DayUsage:
        """The day's hourly traffic (cached)."""
        return self._usage_cache.get(day, lambda: generate_day_usage(
            self.static_profile, self.topic_profile, len(self.kafka_clusters), day,
            stream(self.seed, self.scale, S_DAY_USAGE, day.toordinal()),
            churn=ChurnDay(self.churn_profile, stream(self.seed, self.scale, S_DAY_CHURN, day.toordinal()),
                           self.timeline.active_mask(day))))

    @property
    def flink(self):
        """The Flink statements of the compute pools and their hourly CFUs (``flink.FlinkWorkload``; built once)."""
        workload = self.__dict__.get("_flink")
        if workload is None:
            from billing_portal.simulator.flink import build_workload

            workload = build_workload(
                stream(self.seed, self.scale, _S_FLINK), IdFactory(stream(self.seed, self.scale, _S_FLINK_IDS)),
                self.organization.id, self.flink_pools, self.service_accounts, self.users, self.identity_pools,
                lambda ordinal: stream(self.seed, self.scale, S_DAY_FLINK, ordinal))
            self.__dict__["_flink"] = workload
        return workload

    def at(self, t: datetime) -> OrgView:
        """The objects as the API lists them at `t` (churn objects alive then, owners as renamed then)."""
        view = self._views.get(t)
        if view is None:
            view = OrgView.build(self, t)
            if len(self._views) > 256:
                self._views.clear()
            self._views[t] = view
        return view

    def bill(self, day: date, *, variant: int = 0, flavor: str = "live", billing_model: str = "ecku"):
        """The day's bill as served (``billing.DayBill``; cached). ``variant`` != 0 is a restated bill;
        ``billing_model`` ``ecku`` (orgs created after 2024-04-16) or ``legacy`` (base + partition charges)."""
        from billing_portal.simulator.billing import generate_day_bill

        return self._bill_cache.get((day, variant, flavor, billing_model),
                                    lambda: generate_day_bill(self, day, variant, flavor, billing_model))

    def clusters_of(self, env_id: str) -> list[KafkaCluster]:
        return [c for c in self.kafka_clusters if c.env_id == env_id]

    def pairs_of_cluster(self, cluster_id: str) -> np.ndarray:
        """Indices of usage pairs on a cluster."""
        return np.flatnonzero(self.usage_profile.cluster == self.cluster_index[cluster_id])

    def principals_with_traffic(self) -> set[str]:
        return {self.principal_ids[i] for i in np.unique(self.usage_profile.principal)}

    def usage_frame(self, day: date):
        """The day's principal usage as a long pandas frame (hour, cluster_id, principal_id, request_bytes,
        response_bytes), one row per (hour, pair) with any traffic — what a client should end up with."""
        import pandas as pd

        u = self.usage(day)
        prof = self.usage_profile
        pair, hour = np.nonzero((u.request_bytes > 0) | (u.response_bytes > 0))
        start = datetime(day.year, day.month, day.day, tzinfo=UTC)
        cluster_ids = np.array([c.id for c in self.kafka_clusters], dtype=object)
        principal_ids = np.array(self.principal_ids, dtype=object)
        return pd.DataFrame({
            "hour": pd.to_datetime(start) + pd.to_timedelta(hour, unit="h"),
            "cluster_id": cluster_ids[prof.cluster[pair]],
            "principal_id": principal_ids[prof.principal[pair]],
            "request_bytes": u.request_bytes[pair, hour],
            "response_bytes": u.response_bytes[pair, hour],
        })


def build_model(seed: int = 42, scale: str | ScaleSpec = "small") -> OrgModel:
    spec = get_scale(scale)
    return _Builder(int(seed), spec).build()


class _Builder:
    def __init__(self, seed: int, spec: ScaleSpec):
        self.seed = seed
        self.spec = spec
        self.ids = IdFactory(stream(seed, spec, _S_IDS))

    def rng(self, purpose: int) -> np.random.Generator:
        return stream(self.seed, self.spec, purpose)

    @staticmethod
    def _when(rng: np.random.Generator, span_days: int = 540) -> datetime:
        return EPOCH + timedelta(seconds=int(rng.integers(0, span_days * 86400)))

    # ---------------------------------------------------------------------------------------------------------
    def build(self) -> OrgModel:
        rng = self.rng(_S_ENVS)
        org = Organization(id=self.ids.uuid(), display_name="Acme Corp", created_at=EPOCH - timedelta(days=90))
        envs = self._environments(rng)
        users = self._users()
        sas = self._service_accounts(envs, users)
        pools = self._identity_pools(users)
        deleted_sa = self.ids.make("sa")
        clusters = self._clusters(envs)
        principal_ids = [s.id for s in sas] + [u.id for u in users] + [p.id for p in pools] + [deleted_sa]
        kinds = (["ServiceAccount"] * len(sas) + ["User"] * len(users) + ["IdentityPool"] * len(pools)
                 + ["DeletedServiceAccount"])
        apps = self._applications(envs, clusters, sas)
        pair_cluster, pair_principal, forced = self._pairs(envs, clusters, sas, users, pools, apps)
        srs = self._schema_registries(envs)
        keys = self._api_keys(clusters, sas, users, srs, pair_cluster, pair_principal, principal_ids, apps)
        topics, cluster_catalog = self._catalog(clusters, srs, users)
        topic_cluster = np.array([{c.id: i for i, c in enumerate(clusters)}[t.cluster_id] for t in topics])
        prng = self.rng(_S_PROFILE)
        profile = random_profile(prng, pair_cluster, pair_principal, forced)
        topic_profile = random_topic_profile(prng, topic_cluster, len(clusters))
        timeline = self._timeline(clusters, users, sas, pair_cluster, pair_principal)
        principal_ids += [c.account.id for c in timeline.churn]
        kinds += ["ServiceAccount"] * len(timeline.churn)
        n_static = len(principal_ids) - len(timeline.churn)
        churn_profile = random_profile(self.rng(_S_TIMELINE_PROFILE),
                                       np.array([c.cluster_index for c in timeline.churn], dtype=np.int32),
                                       np.arange(n_static, len(principal_ids), dtype=np.int32),
                                       np.ones(len(timeline.churn), dtype=bool))
        return OrgModel(
            seed=self.seed, scale=self.spec, organization=org, environments=envs, kafka_clusters=clusters,
            service_accounts=sas, users=users, identity_pools=pools, deleted_service_account_id=deleted_sa,
            api_keys=keys, connectors=apps["connectors"], ksqldb_clusters=apps["ksql"], flink_pools=apps["flink"],
            schema_registries=srs, topics=topics, cluster_catalog=cluster_catalog, principal_ids=principal_ids,
            principal_kinds=kinds, static_profile=profile, churn_profile=churn_profile, topic_profile=topic_profile,
            audit_log_cluster_id=self.ids.make("lkc"), unknown_resource_id=self.ids.make("npx"), timeline=timeline,
        )

    def _timeline(self, clusters, users, sas, pair_cluster, pair_principal) -> Timeline:
        """Churn accounts and owner renames (timeline.py), from their own random streams and id factory (so the
        static org is the same with or without them)."""
        ids = IdFactory(self.rng(_S_TIMELINE_IDS))
        ids._seen = set(self.ids._seen)
        busy = [i for i, c in enumerate(clusters) if not c.idle]
        with_traffic = {int(p) for p in pair_principal.tolist()}
        candidates = [i for i, s in enumerate(sas) if s.owner_email and i in with_traffic and i not in self.dormant]
        return build_timeline(rng=self.rng(_S_TIMELINE), ids=ids, clusters=clusters, busy_indices=busy, users=users,
                              sas=sas, rename_candidates=candidates, team_names=names.TEAMS,
                              email_domain=names.EMAIL_DOMAIN, first_names=names.FIRST_NAMES,
                              connector_class=names.CONNECTOR_CLASSES[0])

    def _identity_pools(self, users: list[User]) -> list[IdentityPool]:
        """Pools of one OIDC identity provider; ids drawn where they always were, descriptions from their own
        stream (two pools in three name an owner)."""
        ids = [self.ids.pool() for _ in range(self.spec.identity_pools)]
        rng = self.rng(_S_POOLS)
        provider = "op-" + "".join(rng.choice(list("abcdefghijklmnopqrstuvwxyz0123456789"), size=5))
        pools = []
        for i, pid in enumerate(ids):
            team = names.TEAMS[i % len(names.TEAMS)]
            owner = users[int(rng.integers(len(users)))].email if users and i % 3 != 2 else None
            pools.append(IdentityPool(
                id=pid, display_name=f"{team}-oauth-pool",
                description=f"OAuth clients of {team}. Owner: {owner}" if owner else f"OAuth clients of {team}",
                provider_id=provider, identity_claim="claims.sub",
                filter=f'claims.aud=="{team}-kafka" && claims.iss.startsWith("https://login.{team}.example")'))
        return pools

    def _environments(self, rng: np.random.Generator) -> list[Environment]:
        n = self.spec.environments
        domains = rng.choice(len(names.DOMAINS), size=n, replace=False)
        owners = rng.choice(len(names.FIRST_NAMES), size=n, replace=False)
        envs = []
        for i in range(n):
            domain = names.DOMAINS[domains[i]]
            if i % 3 != 2:
                owner = names.FIRST_NAMES[owners[i]]
                display = f"env-{domain}-owner-{owner}"
            else:
                owner = None
                display = f"{domain}-{names.STAGES[i % 2]}"
            package = "ESSENTIALS" if i == 0 else "ADVANCED" if i == 1 else str(
                rng.choice(["ESSENTIALS", "ADVANCED"], p=[0.6, 0.4]))
            envs.append(Environment(id=self.ids.make("env"), display_name=display, sg_package=package,
                                    owner_hint=owner, created_at=self._when(rng, 120)))
        return envs

    def _users(self) -> list[User]:
        rng = self.rng(_S_PRINCIPALS)
        combos = rng.permutation(len(names.FIRST_NAMES) * len(names.LAST_NAMES))[: self.spec.users]
        users = []
        for c in combos:
            first = names.FIRST_NAMES[c // len(names.LAST_NAMES)]
            last = names.LAST_NAMES[c % len(names.LAST_NAMES)]
            users.append(User(id=self.ids.make("u"), email=f"{first}.{last}@{names.EMAIL_DOMAIN}",
                              full_name=f"{first.capitalize()} {last.capitalize()}", created_at=self._when(rng)))
        return users

    def _service_accounts(self, envs: list[Environment], users: list[User]) -> list[ServiceAccount]:
        rng = self.rng(_S_PRINCIPALS + 100)
        sas = []
        seen: dict[str, int] = {}
        for _ in range(self.spec.service_accounts):
            team = names.TEAMS[rng.integers(len(names.TEAMS))]
            purpose = names.SA_PURPOSES[rng.integers(len(names.SA_PURPOSES))]
            display = f"{team}-{purpose}"
            seen[display] = seen.get(display, 0) + 1
            if seen[display] > 1:
                display = f"{display}-{seen[display]}"
            roll = rng.random()
            owner_email = None
            if roll < 0.65:
                if users and rng.random() < 0.6:
                    owner_email = users[rng.integers(len(users))].email
                else:
                    owner_email = f"{names.FIRST_NAMES[rng.integers(len(names.FIRST_NAMES))]}@{names.EMAIL_DOMAIN}"
                description = f"Owner: {owner_email}"
            elif roll < 0.85:
                description = f"Service account for {team} {purpose}"
            else:
                description = ""
            env = envs[rng.integers(len(envs))]
            sas.append(ServiceAccount(id=self.ids.make("sa"), display_name=display, description=description,
                                      home_env_id=env.id, team=team, owner_email=owner_email,
                                      created_at=self._when(rng)))
        return sas

    def _clusters(self, envs: list[Environment]) -> list[KafkaCluster]:
        rng = self.rng(_S_CLUSTERS)
        spec = self.spec
        n = spec.kafka_clusters
        if spec.kinds:
            kinds = list(spec.kinds)
        else:
            kinds = [str(k) for k in rng.choice(KINDS, size=n, p=spec.kind_weights)]
        if spec.kinds:
            idle = set(range(spec.idle_clusters))
        else:
            candidates = [i for i, k in enumerate(kinds) if k in ("Basic", "Standard")]
            idle = {int(i) for i in rng.choice(candidates, size=spec.idle_clusters, replace=False)}
        clusters = []
        for i, kind in enumerate(kinds):
            env = envs[i % len(envs)] if i < len(envs) else envs[int(rng.integers(len(envs)))]
            cloud, region = names.REGIONS[int(rng.integers(len(names.REGIONS)))]
            stage = "sandbox" if i in idle else names.STAGES[int(rng.integers(len(names.STAGES)))]
            if n > 12:
                stage = f"{stage}{i:02d}"
            if rng.random() < 0.68:
                team = (names.TEAM_LETTERS[int(rng.integers(len(names.TEAM_LETTERS)))] if rng.random() < 0.25
                        else names.TEAMS[int(rng.integers(len(names.TEAMS)))])
                display, owner = f"kafka-{stage}-owner-{team}", team
            else:
                domain = names.DOMAINS[int(rng.integers(len(names.DOMAINS)))]
                display, owner = f"{domain}-{stage}", None
            dedicated = kind == "Dedicated"
            clusters.append(KafkaCluster(
                id=self.ids.make("lkc"), display_name=display, env_id=env.id, kind=kind,
                cku=int(rng.choice([1, 2, 2, 4])) if dedicated else None, cloud=cloud, region=region,
                availability="MULTI_ZONE" if dedicated or rng.random() < 0.3 else "SINGLE_ZONE",
                network_access_type=str(rng.choice(names.DEDICATED_NETWORKS)) if dedicated else "INTERNET",
                idle=i in idle, owner_hint=owner,
                bootstrap_host=f"{self.ids.make('pkc', 5)}.{region}.{cloud.lower()}.confluent.cloud",
                created_at=self._when(rng),
            ))
        return clusters

    def _applications(self, envs, clusters, sas) -> dict:
        """Connectors, ksqlDB clusters and Flink pools (and which service account each runs as)."""
        rng = self.rng(_S_APPS)
        busy = [c for c in clusters if not c.idle]
        sas_by_env: dict[str, list[ServiceAccount]] = {}
        for s in sas:
            sas_by_env.setdefault(s.home_env_id, []).append(s)

        def sa_for(env_id: str) -> ServiceAccount:
            pool = sas_by_env.get(env_id) or sas
            return pool[int(rng.integers(len(pool)))]

        connectors = []
        connector_keys: list[tuple[str, str, str, str]] = []  # (key id, owner sa, cluster, env)
        used_names: set[str] = set()
        modes = ["SERVICE_ACCOUNT", "KAFKA_API_KEY", "KAFKA_API_KEY_MASKED"]
        for i in range(self.spec.connectors):
            mode = modes[i] if i < 3 else str(rng.choice(modes, p=[0.5, 0.3, 0.2]))
            cluster = busy[int(rng.integers(len(busy)))]
            cls, ctype = names.CONNECTOR_CLASSES[int(rng.integers(len(names.CONNECTOR_CLASSES)))]
            stem = names.TOPIC_STEMS[int(rng.integers(len(names.TOPIC_STEMS)))]
            base = f"{cls.lower().replace('_', '-').removesuffix('-sink').removesuffix('sink').removesuffix('source')}"
            name = f"{base}-{stem}-{ctype}"
            k = 2
            while name in used_names:
                name = f"{base}-{stem}-{ctype}-{k}"
                k += 1
            used_names.add(name)
            sa = sa_for(cluster.env_id)
            key_id = None
            if mode != "SERVICE_ACCOUNT":
                key_id = self.ids.api_key()
                connector_keys.append((key_id, sa.id, cluster.id, cluster.env_id))
            connectors.append(Connector(
                id=self.ids.make("lcc", 5), name=name, env_id=cluster.env_id, cluster_id=cluster.id,
                connector_class=cls, connector_type=ctype,
                auth_mode="SERVICE_ACCOUNT" if mode == "SERVICE_ACCOUNT" else "KAFKA_API_KEY",
                service_account_id=sa.id if mode == "SERVICE_ACCOUNT" else None,
                api_key_shown=key_id if mode == "KAFKA_API_KEY" else MASKED_KEY,
                tasks=int(rng.integers(1, 5)), state="PAUSED" if i >= 3 and rng.random() < 0.1 else "RUNNING",
                principal_id=sa.id,
            ))
        ksql = []
        for i in range(self.spec.ksqldb_clusters):
            cluster = busy[int(rng.integers(len(busy)))]
            sa = sa_for(cluster.env_id)
            if i % 2 == 0:
                owner = names.FIRST_NAMES[int(rng.integers(len(names.FIRST_NAMES)))]
                display = f"ksql-{names.TEAMS[int(rng.integers(len(names.TEAMS)))]}-owner-{owner}"
            else:
                owner = None
                display = f"ksqldb-{names.DOMAINS[int(rng.integers(len(names.DOMAINS)))]}-{i}"
            ksql.append(KsqlCluster(id=self.ids.make("lksqlc", 5), display_name=display, env_id=cluster.env_id,
                                    kafka_cluster_id=cluster.id, csu=int(rng.choice([1, 2, 4, 8])),
                                    credential_identity=sa.id, owner_hint=owner, created_at=self._when(rng)))
        flink = []
        for i in range(self.spec.flink_pools):
            env = envs[int(rng.integers(len(envs)))]
            cloud, region = names.REGIONS[int(rng.integers(len(names.REGIONS)))]
            if i % 2 == 0:
                owner = names.FIRST_NAMES[int(rng.integers(len(names.FIRST_NAMES)))]
                display = f"flink-{['etl', 'analytics', 'enrichment'][i % 3]}-owner-{owner}"
            else:
                owner = None
                display = f"flink-pool-{names.DOMAINS[int(rng.integers(len(names.DOMAINS)))]}-{i}"
            flink.append(FlinkPool(id=self.ids.make("lfcp", 5), display_name=display, env_id=env.id, cloud=cloud,
                                   region=region, max_cfu=int(rng.choice([5, 10, 20, 50])), owner_hint=owner,
                                   created_at=self._when(rng)))
        return {"connectors": connectors, "ksql": ksql, "flink": flink, "connector_keys": connector_keys}

    def _pairs(self, envs, clusters, sas, users, pools, apps):
        """(cluster, principal) pairs that carry traffic; returns index arrays and the 'always active' mask."""
        rng = self.rng(_S_PAIRS)
        n_sa, n_u, n_p = len(sas), len(users), len(pools)
        n_principals = n_sa + n_u + n_p + 1
        deleted_index = n_principals - 1
        # dormant service accounts own keys but never produce traffic
        dormant = rng.choice(n_sa, size=max(1, n_sa // 10), replace=False)
        self.dormant = {int(i) for i in dormant}
        home = np.array([s.home_env_id for s in sas] + [""] * (n_u + n_p + 1), dtype=object)
        base_weight = np.concatenate([np.ones(n_sa), np.full(n_u, 1.5), np.full(n_p, 1.5), [0.0]])
        base_weight[list(self.dormant)] = 0.0
        sa_index = {s.id: i for i, s in enumerate(sas)}
        forced: dict[int, set[int]] = {}
        for conn in apps["connectors"]:
            forced.setdefault(self._cluster_pos(clusters, conn.cluster_id), set()).add(sa_index[conn.principal_id])
        for k in apps["ksql"]:
            forced.setdefault(self._cluster_pos(clusters, k.kafka_cluster_id), set()).add(
                sa_index[k.credential_identity])
        for members in forced.values():
            for m in members:  # app service accounts are never dormant
                self.dormant.discard(m)
        pc, pp, pf = [], [], []
        lo, hi = self.spec.principals_per_cluster
        first_busy = next(i for i, c in enumerate(clusters) if not c.idle)
        for ci, cluster in enumerate(clusters):
            if cluster.idle:
                continue
            w = base_weight * np.where(home == cluster.env_id, 6.0, 1.0)
            w[list(forced.get(ci, ()))] = 0.0
            k = min(int(rng.integers(lo, hi + 1)), int((w > 0).sum()))
            chosen = rng.choice(n_principals, size=k, replace=False, p=w / w.sum())
            extra = sorted(forced.get(ci, ()))
            members = list(chosen) + extra
            if ci == first_busy:
                members.append(deleted_index)
            pc.extend([ci] * len(members))
            pp.extend(members)
            pf.extend([False] * len(chosen) + [True] * len(extra) + ([False] if ci == first_busy else []))
        return np.array(pc, dtype=np.int32), np.array(pp, dtype=np.int32), np.array(pf, dtype=bool)

    @staticmethod
    def _cluster_pos(clusters, cluster_id):
        return next(i for i, c in enumerate(clusters) if c.id == cluster_id)

    def _api_keys(self, clusters, sas, users, srs, pair_cluster, pair_principal, principal_ids,
                  apps) -> list[ApiKey]:
        rng = self.rng(_S_KEYS)
        n_sa, n_u = len(sas), len(users)
        keys: list[ApiKey] = []

        def add(key_id, owner_index, resource_id, resource_kind, env_id, description):
            owner_kind = "ServiceAccount" if owner_index < n_sa else "User"
            keys.append(ApiKey(id=key_id, display_name="" if rng.random() < 0.5 else f"key-{len(keys)}",
                               description=description, owner_id=principal_ids[owner_index], owner_kind=owner_kind,
                               resource_id=resource_id, resource_kind=resource_kind, env_id=env_id,
                               created_at=self._when(rng)))

        app_sas = {c.principal_id for c in apps["connectors"]} | {k.credential_identity for k in apps["ksql"]}
        for ci, pi in zip(pair_cluster.tolist(), pair_principal.tolist(), strict=True):
            if pi >= n_sa + n_u:  # identity pools and the deleted account own no listed key
                continue
            if principal_ids[pi] in app_sas and pi < n_sa:
                continue  # connector / ksqlDB identities: traffic without a (listed) cluster key of their own
            if rng.random() < 0.78:
                c = clusters[ci]
                add(self.ids.api_key(), pi, c.id, "Cluster", c.env_id, "Kafka API key")
        busy_by_env: dict[str, list[KafkaCluster]] = {}
        for c in clusters:
            busy_by_env.setdefault(c.env_id, []).append(c)
        for si in sorted(self.dormant):
            env_clusters = busy_by_env.get(sas[si].home_env_id) or clusters
            for _ in range(int(rng.integers(1, 3))):
                c = env_clusters[int(rng.integers(len(env_clusters)))]
                add(self.ids.api_key(), si, c.id, "Cluster", c.env_id, "unused key")
        sa_index = {s.id: i for i, s in enumerate(sas)}
        for key_id, owner, cluster_id, env_id in apps["connector_keys"]:
            add(key_id, sa_index[owner], cluster_id, "Cluster", env_id, "connector key")
        for si in rng.choice(n_sa, size=max(1, n_sa // 20), replace=False):
            add(self.ids.api_key(), int(si), "cloud", "Cloud", None, "Cloud API key")
        for ui in rng.choice(n_u, size=min(2, n_u), replace=False):
            add(self.ids.api_key(), n_sa + int(ui), "cloud", "Cloud", None, "Cloud API key")
        for sr in srs:
            env_sas = [i for i, s in enumerate(sas) if s.home_env_id == sr.env_id] or list(range(n_sa))
            owner = env_sas[int(rng.integers(len(env_sas)))]
            add(self.ids.api_key(), owner, sr.id, "SchemaRegistry", sr.env_id, "Schema Registry key")
        return keys

    def _schema_registries(self, envs) -> list[SchemaRegistry]:
        rng = self.rng(_S_CATALOG + 100)
        srs = []
        for env in envs:
            cloud, region = names.REGIONS[int(rng.integers(len(names.REGIONS)))]
            srs.append(SchemaRegistry(id=self.ids.make("lsrc"), env_id=env.id, package=env.sg_package, cloud=cloud,
                                      region=region, schemas=int(rng.integers(40, 400)), created_at=self._when(rng)))
        return srs

    def _catalog(self, clusters, srs, users):
        rng = self.rng(_S_CATALOG)
        topics: list[Topic] = []
        info: dict[str, ClusterCatalogInfo] = {}
        lo, hi = self.spec.topics_per_cluster
        all_names = [s + suf for s in names.TOPIC_STEMS for suf in names.TOPIC_SUFFIXES]

        def bm(team: str) -> dict[str, str]:
            return {
                "business_unit": names.BUSINESS_UNITS[int(rng.integers(len(names.BUSINESS_UNITS)))],
                "cost_center": f"CC-{int(rng.integers(1000, 1100))}",
                "team": team,
                "owner": users[int(rng.integers(len(users)))].email if users else f"owner@{names.EMAIL_DOMAIN}",
                "business_product": names.BUSINESS_PRODUCTS[int(rng.integers(len(names.BUSINESS_PRODUCTS)))],
            }

        for cluster in clusters:
            k = int(rng.integers(lo, hi + 1))
            for ti in rng.choice(len(all_names), size=k, replace=False):
                team = names.TEAMS[int(rng.integers(len(names.TEAMS)))]
                tags = []
                if rng.random() < 0.5:
                    tags.append(f"team_{team}")
                if rng.random() < 0.25:
                    tags.append(f"cost_center_{int(rng.integers(10, 100))}")
                if rng.random() < 0.15:
                    tags.append("PII")
                has_owner = rng.random() < 0.5
                topics.append(Topic(
                    cluster_id=cluster.id, name=all_names[ti],
                    partitions=int(rng.choice([1, 3, 6, 6, 12, 12, 24, 48])),
                    owner=f"team-{team}" if has_owner else None,
                    owner_email=(users[int(rng.integers(len(users)))].email
                                 if has_owner and users and rng.random() < 0.5 else None),
                    tags=tuple(tags), business_metadata=bm(team) if rng.random() < 0.2 else None,
                    guid=self.ids.guid(), created_ms=int(self._when(rng).timestamp() * 1000),
                ))
            team = names.TEAMS[int(rng.integers(len(names.TEAMS)))]
            ctags = []
            if rng.random() < 0.5:
                ctags.append(f"team_{team}")
            if rng.random() < 0.3:
                ctags.append(f"cost_center_{int(rng.integers(10, 100))}")
            info[cluster.id] = ClusterCatalogInfo(cluster_id=cluster.id, tags=tuple(ctags),
                                                  business_metadata=bm(team) if rng.random() < 0.4 else None,
                                                  guid=self.ids.guid())
        # make sure every kind of annotation exists at least once, whatever the seed
        if topics and not any(t.business_metadata for t in topics):
            t = topics[0]
            topics[0] = Topic(**{**t.__dict__, "business_metadata": bm("payments")})
        if topics and not any("PII" in t.tags for t in topics):
            t = topics[-1]
            topics[-1] = Topic(**{**t.__dict__, "tags": t.tags + ("PII",)})
        first = clusters[0].id
        if not any(i.business_metadata for i in info.values()):
            info[first] = ClusterCatalogInfo(**{**info[first].__dict__, "business_metadata": bm("platform")})
        if not any(i.tags for i in info.values()):
            info[first] = ClusterCatalogInfo(**{**info[first].__dict__, "tags": ("team_platform",)})
        return topics, info


@dataclass(frozen=True)
class OrgView:
    """The org's lists at one instant: what GET on the object endpoints answers then."""

    at: datetime
    service_accounts: list[ServiceAccount]
    api_keys: list[ApiKey]
    connectors: list[Connector]

    @classmethod
    def build(cls, model: OrgModel, t: datetime) -> OrgView:
        tl = model.timeline
        alive = tl.accounts_alive(t)
        sas = [tl.renamed(s, t) for s in model.service_accounts] + [c.account for c in alive]
        keys = list(model.api_keys) + [c.key for c in alive]
        connectors = list(model.connectors) + tl.connectors_alive(t)
        return cls(at=t, service_accounts=sas, api_keys=keys, connectors=connectors)
