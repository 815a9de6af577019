"""Building small days by hand for tests: `DayBuilder` composes objects, usage and bill lines in a few readable calls
and resolves attribution, so a test states only what matters to it.

    b = DayBuilder()
    b.cluster("lkc-1", env="env-1")
    b.usage("lkc-1", "sa-1", hour=3, request=100)
    b.line("KAFKA_NETWORK_WRITE", "lkc-1", "1.00")
    result = allocate_day(b.build(), AllocationConfig())
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pandas as pd

from billing_portal.allocation.inputs import DayInputs
from billing_portal.model.line_types import spec_of
from billing_portal.money import to_decimal, to_units
from billing_portal.ownership import CatalogData, CoreObjects, OwnershipMapping, resolve_attribution
from billing_portal.ownership.schemas import resolve_schemas

DEFAULT_DAY = dt.date(2024, 5, 1)

# products of line types the table does not know (tests of unknown line types)
PRODUCT_OF_PREFIX = {"KAFKA": "KAFKA", "CLUSTER": "CLUSTER_LINK", "CONNECT": "CONNECT", "CUSTOM": "CUSTOM_CONNECT",
                     "KSQL": "KSQL", "FLINK": "FLINK", "TABLEFLOW": "TABLEFLOW"}


class DayBuilder:
    def __init__(self, day: dt.date = DEFAULT_DAY, org_id: str = "org-1") -> None:
        self.day = day
        self.org_id = org_id
        self.tables: dict[str, list[dict]] = {}
        self.usage_rows: list[dict] = []
        self.lines: list[dict] = []
        self.catalog_rows: dict[str, list[dict]] = {"entities": [], "tags": [], "business_metadata": []}
        self.statement_rows: list[dict] = []
        self.statement_usage_rows: list[dict] = []
        self.flink_sources: dict[str, str] = {}

    # ---- objects ---------------------------------------------------------------------------------------------
    def _add(self, table: str, **row) -> DayBuilder:
        self.tables.setdefault(table, []).append(row)
        return self

    def env(self, env_id: str, name: str | None = None) -> DayBuilder:
        return self._add("environments", env_id=env_id, display_name=name or env_id)

    def cluster(self, cluster_id: str, env: str = "env-1", name: str | None = None) -> DayBuilder:
        return self._add("kafka_clusters", cluster_id=cluster_id, env_id=env, display_name=name or cluster_id)

    def service_account(self, sa: str, name: str | None = None, description: str | None = None) -> DayBuilder:
        return self._add("service_accounts", principal_id=sa, display_name=name or sa, description=description)

    def user(self, user_id: str, email: str, full_name: str | None = None) -> DayBuilder:
        return self._add("users", principal_id=user_id, email=email, full_name=full_name)

    def api_key(self, key: str, owner: str, resource: str | None, owner_kind: str = "ServiceAccount") -> DayBuilder:
        return self._add("api_keys", key_id=key, owner_id=owner, owner_kind=owner_kind, resource_id=resource,
                         resource_kind="Cluster" if resource and resource.startswith("lkc-") else "SchemaRegistry")

    def connector(self, connector_id: str, cluster: str, env: str = "env-1", sa: str | None = None,
                  api_key: str | None = None, auth_mode: str | None = None, name: str | None = None) -> DayBuilder:
        mode = auth_mode or ("SERVICE_ACCOUNT" if sa else "KAFKA_API_KEY")
        return self._add("connectors", connector_id=connector_id, connector_name=name or connector_id, env_id=env,
                         cluster_id=cluster, auth_mode=mode, service_account_id=sa, api_key=api_key)

    def ksqldb(self, ksqldb_id: str, cluster: str, identity: str | None, env: str = "env-1") -> DayBuilder:
        return self._add("ksqldb_clusters", ksqldb_id=ksqldb_id, display_name=ksqldb_id, env_id=env,
                         kafka_cluster_id=cluster, credential_identity_id=identity)

    def flink_pool(self, pool_id: str, env: str = "env-1", name: str | None = None) -> DayBuilder:
        return self._add("flink_compute_pools", pool_id=pool_id, display_name=name or pool_id, env_id=env)

    def schema_registry(self, sr_id: str, env: str = "env-1") -> DayBuilder:
        return self._add("schema_registries", sr_id=sr_id, display_name=sr_id, env_id=env)

    # ---- catalog ---------------------------------------------------------------------------------------------
    def catalog_entity(self, qualified_name: str, entity_type: str = "kafka_topic", owner: str | None = None,
                       owner_email: str | None = None, tags: list[str] | None = None) -> DayBuilder:
        self.catalog_rows["entities"].append({"entity_type": entity_type, "qualified_name": qualified_name,
                                              "owner": owner, "owner_email": owner_email,
                                              "classification_names": list(tags or [])})
        return self

    def catalog_tag(self, qualified_name: str, tag: str, entity_type: str = "kafka_topic") -> DayBuilder:
        self.catalog_rows["tags"].append({"entity_type": entity_type, "qualified_name": qualified_name, "tag": tag})
        return self

    def business_metadata(self, qualified_name: str, attributes: dict, entity_type: str = "kafka_topic",
                          bm_type: str = "cost_allocation") -> DayBuilder:
        self.catalog_rows["business_metadata"].append({"entity_type": entity_type, "qualified_name": qualified_name,
                                                       "bm_type": bm_type, "attributes": attributes})
        return self

    # ---- usage and lines -------------------------------------------------------------------------------------
    def usage(self, cluster: str, principal: str, hour: int, request: float = 0.0, response: float = 0.0
              ) -> DayBuilder:
        self.usage_rows.append({"hour": pd.Timestamp(self.day, tz="UTC") + pd.Timedelta(hours=hour),
                                "cluster_id": cluster, "principal_id": principal, "request_bytes": float(request),
                                "response_bytes": float(response)})
        return self

    def statement(self, name: str, pool: str, principal: str | None, env: str = "env-1") -> DayBuilder:
        """A Flink statement on `pool` run by `principal` (None: never observed, only its metrics are known)."""
        if principal is not None:
            self.statement_rows.append({"env_id": env, "statement_name": name, "compute_pool_id": pool,
                                        "principal_id": principal})
        return self

    def statement_cfus(self, pool: str, name: str, hour: int, cfus: float) -> DayBuilder:
        self.statement_usage_rows.append({"hour": pd.Timestamp(self.day, tz="UTC") + pd.Timedelta(hours=hour),
                                          "cluster_id": pool, "statement_name": name, "cfus": float(cfus)})
        return self

    def line(self, line_type: str, resource: str | None, amount: str | Decimal | int | float,
             env: str | None = "env-1", product: str | None = None) -> DayBuilder:
        amount = to_decimal(amount)
        spec = spec_of(line_type)
        product = product or (spec.product if spec else PRODUCT_OF_PREFIX.get(line_type.split("_")[0], "UNKNOWN"))
        self.lines.append({"line_no": len(self.lines), "org_id": self.org_id,
                           "env_id": env if resource or env else None, "resource_id": resource,
                           "resource_name": resource, "product": product, "line_type": line_type,
                           "amount": amount, "amount_units": to_units(amount)})
        return self

    # ---- build -----------------------------------------------------------------------------------------------
    def objects(self) -> CoreObjects:
        return CoreObjects(**{t: pd.DataFrame(rows) for t, rows in self.tables.items()})

    def catalog(self) -> CatalogData:
        return CatalogData(**{k: pd.DataFrame(v) if v else None for k, v in self.catalog_rows.items()})

    def usage_frame(self) -> pd.DataFrame:
        if not self.usage_rows:
            return pd.DataFrame({"hour": pd.Series(dtype="datetime64[ns, UTC]"), "cluster_id": pd.Series(dtype=str),
                                 "principal_id": pd.Series(dtype=str), "request_bytes": pd.Series(dtype=float),
                                 "response_bytes": pd.Series(dtype=float)})
        return pd.DataFrame(self.usage_rows)

    def lines_frame(self) -> pd.DataFrame:
        frame = pd.DataFrame(self.lines, columns=["line_no", "org_id", "env_id", "resource_id", "resource_name",
                                                  "product", "line_type", "amount", "amount_units"])
        frame["usage_date"] = self.day
        frame["line_no"] = frame["line_no"].astype(np.int64)
        frame["amount_units"] = frame["amount_units"].astype(np.int64)
        return frame

    def build(self, mapping: OwnershipMapping | None = None) -> DayInputs:
        objects, usage = self.objects(), self.usage_frame()
        principals, resources = resolve_attribution(objects, self.catalog(), mapping or OwnershipMapping(), usage)
        return DayInputs(usage_date=self.day, org_id=self.org_id, lines=self.lines_frame(), usage=usage,
                         objects=objects, principals=principals, resources=resources,
                         flink_usage=pd.DataFrame(self.statement_usage_rows,
                                                  columns=["hour", "cluster_id", "statement_name", "cfus"]),
                         flink_statements=pd.DataFrame(self.statement_rows, columns=[
                             "env_id", "statement_name", "compute_pool_id", "principal_id"]),
                         flink_usage_sources=dict(self.flink_sources),
                         schema_owners=resolve_schemas(self.catalog(), mapping or OwnershipMapping()))


def totals_by(facts: pd.DataFrame, *columns: str) -> dict:
    """{key: units} of facts grouped by `columns` (key is a tuple unless one column)."""
    g = facts.groupby(list(columns), dropna=False)["amount_units"].sum()
    return {k: int(v) for k, v in g.items()}
