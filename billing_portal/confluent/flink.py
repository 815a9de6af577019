"""Flink statements (regional Flink SQL API): who runs what on each compute pool.

Live (../shared/CONFLUENT_API.md, "Flink statements"): `GET https://flink.{region}.{cloud}.confluent.cloud/sql/v1/
organizations/{org}/environments/{env}/statements?spec.compute_pool_id=lfcp-…&page_size=100` (standard envelope,
`metadata.next`), authenticated with a **region-scoped Flink API key** (iam/v2 key with `resource.kind: Region`,
`id: aws.us-east-1`), not the Cloud key. `spec.principal` is the identity the statement runs as (`sa-…`, `u-…`,
`pool-…`, or a CRN ending in one); `name` is unique in the environment and is the join key to the statement metrics.
Deleted statements vanish: the statements are observed and kept as history (`flink_statements_history`).

Keys: `FLINK_CREDENTIALS_FILE`, a YAML mapping a region (`<cloud>.<region>`, lowercase cloud as in the key's
resource id) to its key, and/or the single `FLINK_API_KEY` / `FLINK_API_SECRET` for every region without an entry:

    aws.us-east-1: {api_key: ABCDEFGHIJKLMNOP, api_secret: "…"}
    azure.westeurope: {api_key: …, api_secret: …}

The host comes from `FLINK_ENDPOINT_TEMPLATE` (default `https://flink.{region}.{cloud}.confluent.cloud`; private
networking has its own host). A region without a key, whose key is refused (401/403), or whose host has no
statements API (404, e.g. a private-networking host not configured) is skipped and reported (its statements keep the
history they had), never a failed run.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pandas as pd

from billing_portal.confluent.http import ConfluentHttp, HttpConfig
from billing_portal.confluent.keyfile import ApiKey, load_key_file
from billing_portal.confluent.normalize import QUARANTINE_COLUMNS, json_text, text_or_none, typed_frame
from billing_portal.confluent.pagination import collect_envelope
from billing_portal.errors import ConfluentApiError, ConfluentAuthError
from billing_portal.model.observed import FLINK_STATEMENTS

log = logging.getLogger(__name__)

DEFAULT_ENDPOINT_TEMPLATE = "https://flink.{region}.{cloud}.confluent.cloud"
STATEMENT_COLUMNS = list(FLINK_STATEMENTS.attribute_names)  # billing_portal/model/observed.py
_REGION = re.compile(r"^[a-z0-9]+\.[a-z0-9-]+$")
_PRINCIPAL = re.compile(r"(?:^|[/=])((?:sa|u|pool)-[A-Za-z0-9]+)$")


FlinkKey = ApiKey


def load_credentials(path: str | Path | None) -> dict[str, FlinkKey]:
    """The credentials file as {cloud.region: key}; a bad file is one ConfigError line (no secret in it)."""
    return load_key_file(path, "FLINK_CREDENTIALS_FILE",
                         scope="a region such as aws.us-east-1 (cloud.region, as the Flink key's resource id)",
                         scopes="regions (e.g. aws.us-east-1)",
                         scope_of=lambda k: k.lower() if _REGION.match(k.lower()) else None)


def region_of(cloud: str | None, region: str | None) -> str | None:
    if not cloud or not region:
        return None
    return f"{str(cloud).strip().lower()}.{str(region).strip()}"


def principal_id_of(principal: str | None) -> str | None:
    """`sa-1` → `sa-1`; `crn://confluent.cloud/organization=…/identity-pool=pool-Ab1` → `pool-Ab1`; else None."""
    if not principal:
        return None
    m = _PRINCIPAL.search(str(principal).strip())
    return m.group(1) if m else None


def parse_statement(o: dict, ctx: dict) -> dict:
    spec = o.get("spec") if isinstance(o.get("spec"), dict) else {}
    status = o.get("status") if isinstance(o.get("status"), dict) else {}
    meta = o.get("metadata") if isinstance(o.get("metadata"), dict) else {}
    principal = text_or_none(spec.get("principal"))
    stopped = spec.get("stopped")
    return {"env_id": text_or_none(o.get("environment_id")) or ctx.get("env_id"),
            "statement_name": text_or_none(o.get("name")),
            "compute_pool_id": text_or_none(spec.get("compute_pool_id")) or ctx.get("pool_id"),
            "principal_id": principal_id_of(principal), "principal": principal,
            "phase": text_or_none(status.get("phase")),
            "stopped": bool(stopped) if isinstance(stopped, bool) else None,
            "uid": text_or_none(meta.get("uid")), "scope": ctx.get("scope")}


@dataclass(frozen=True)
class Listing:
    """One (environment, region) to list: the compute pools there and the key for the region."""

    env_id: str
    region: str
    pools: tuple[str, ...]

    @property
    def scope(self) -> str:
        return f"{self.env_id}/{self.region}"


@dataclass
class StatementsSnapshot:
    statements: pd.DataFrame
    quarantine: pd.DataFrame
    stats: dict[str, Any] = field(default_factory=dict)
    skipped: list[dict] = field(default_factory=list)  # {table, scope, env_id, region, reason}


def plan_listings(pools: pd.DataFrame) -> list[Listing]:
    """The (environment, region) listings that cover the observed compute pools (columns pool_id, env_id, cloud,
    region)."""
    groups: dict[tuple[str, str], list[str]] = {}
    for r in pools.itertuples(index=False):
        region = region_of(getattr(r, "cloud", None), getattr(r, "region", None))
        if r.env_id and region and isinstance(r.pool_id, str):
            groups.setdefault((str(r.env_id), region), []).append(r.pool_id)
    return [Listing(env, region, tuple(sorted(p))) for (env, region), p in sorted(groups.items())]


class FlinkStatementsClient:
    """Lists the statements of every compute pool, region by region, each with its own key."""

    def __init__(self, *, endpoint_template: str = DEFAULT_ENDPOINT_TEMPLATE, keys: dict[str, FlinkKey] | None = None,
                 default_key: tuple[str, str] | None = None, config: HttpConfig | None = None, max_workers: int = 4):
        self.template = endpoint_template
        self.keys = keys or {}
        self.default_key = default_key if default_key and all(default_key) else None
        self.config = config or HttpConfig()
        self.max_workers = max(1, int(max_workers))
        self.request_count = 0

    def __repr__(self) -> str:
        return f"FlinkStatementsClient(endpoint_template={self.template!r}, regions={sorted(self.keys)})"

    def key_for(self, region: str) -> tuple[str, str] | None:
        k = self.keys.get(region)
        if k is not None:
            return k.api_key.get_secret_value(), k.api_secret.get_secret_value()
        return self.default_key

    def endpoint(self, region: str) -> str:
        cloud, _, name = region.partition(".")
        return self.template.format(cloud=cloud, region=name)

    def _list(self, listing: Listing, org_id: str, key: tuple[str, str]) -> list[tuple[str, dict]]:
        http = ConfluentHttp(self.endpoint(listing.region), key[0], key[1], self.config, family="flink")
        try:
            path = (f"/sql/v1/organizations/{quote(org_id, safe='')}/environments/{quote(listing.env_id, safe='')}"
                    "/statements")
            out = []
            for pool in listing.pools:
                pages: list[dict] = []
                items = collect_envelope(http, path, {"spec.compute_pool_id": pool}, api="flink",
                                         on_page=pages.append)
                if not pages:  # the first page answered 404, which the paginator reads as an empty list: the
                    # pools were observed there, so it is no statements API at this host, not "no statements"
                    # (an empty listing would close every statement of the scope in the history)
                    raise ConfluentApiError(f"Confluent flink API error 404 on GET {path}", status=404, url=path)
                out.extend((pool, obj) for obj in items)
            return out
        finally:
            self.request_count += http.request_count
            http.close()

    def fetch_snapshot(self, pools: pd.DataFrame, org_id: str | None, snapshot_date: dt.date | None = None
                       ) -> StatementsSnapshot:
        """Every statement of the pools' (environment, region) listings. Statements without a name, or a second
        different one with a name already seen in the environment, are quarantined (source `objects`)."""
        day = snapshot_date or dt.datetime.now(dt.UTC).date()
        listings = plan_listings(pools)
        quarantine: list[dict] = []
        skipped: list[dict] = []
        records: dict[tuple[str, str], dict] = {}
        raws: dict[tuple[str, str], str] = {}
        stats: dict[str, Any] = {"listings": len(listings), "duplicates": 0}

        def skip(listing: Listing, reason: str) -> None:
            skipped.append({"table": "flink_statements", "scope": listing.scope, "env_id": listing.env_id,
                            "region": listing.region, "reason": reason})
            log.warning("flink statements of %s not read: %s", listing.scope, reason)

        todo = []
        for listing in listings:
            key = self.key_for(listing.region)
            if not org_id:
                skip(listing, "the organization id is not known yet (organizations not observed)")
            elif key is None:
                skip(listing, f"no Flink API key for region {listing.region} (FLINK_CREDENTIALS_FILE)")
            else:
                todo.append((listing, key))
        with ThreadPoolExecutor(max_workers=self.max_workers, thread_name_prefix="ccloud-flink") as ex:
            futures = [(listing, ex.submit(self._list, listing, org_id or "", key)) for listing, key in todo]
            for listing, fut in futures:
                try:
                    found = fut.result()
                except ConfluentAuthError as exc:
                    skip(listing, f"{exc.status}: {str(exc).splitlines()[0]}")
                    continue
                except ConfluentApiError as exc:
                    if exc.status == 404:
                        skip(listing, f"404: no Flink statements API at {self.endpoint(listing.region)}")
                        continue
                    raise
                for pool, obj in found:
                    raw = json_text(obj)
                    if not isinstance(obj, dict):
                        quarantine.append(_reject(day, "not_an_object", raw))
                        continue
                    rec = parse_statement(obj, {"env_id": listing.env_id, "pool_id": pool, "scope": listing.scope})
                    if not rec["statement_name"]:
                        quarantine.append(_reject(day, "missing_id: no statement name", raw))
                        continue
                    k = (rec["env_id"], rec["statement_name"])
                    if k in records:
                        if raws[k] == raw:
                            stats["duplicates"] += 1
                        else:
                            quarantine.append(_reject(day, f"duplicate_id: {k[1]} already seen in {k[0]} with "
                                                           "different content", raw))
                        continue
                    rec["raw"] = raw
                    records[k], raws[k] = rec, raw
        frame = typed_frame([records[k] for k in sorted(records)], STATEMENT_COLUMNS, objects=("stopped",))
        stats.update({"statements": len(frame), "skipped_scopes": len(skipped), "quarantined": len(quarantine),
                      "without_principal": int(frame["principal_id"].isna().sum()) if len(frame) else 0})
        return StatementsSnapshot(frame, typed_frame(quarantine, QUARANTINE_COLUMNS, objects=("usage_date", "amount")),
                                  stats, skipped)


def _reject(day: dt.date, reason: str, raw: str) -> dict:
    return {"source": "objects", "usage_date": day, "reason": f"{reason} (flink_statements)", "amount": None,
            "raw": raw}
