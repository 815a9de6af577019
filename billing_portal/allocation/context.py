"""Everything the rules read, prepared once per day and vectorised: the bill lines normalised and coded, every id a
fact may carry (with its attributes), the usage indexed by cluster, the active principals per cluster, and each
line's hour profile. Rules never touch the raw inputs."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from billing_portal.allocation.config import AllocationConfig
from billing_portal.allocation.hours import HOURS, hour_profiles
from billing_portal.allocation.inputs import DayInputs
from billing_portal.allocation.registry import route
from billing_portal.allocation.vocabulary import (
    FROM_METRICS_API,
    USAGE_SOURCE_CODE,
    Reason,
    owner_reason_codes,
    reason_code,
)
from billing_portal.model.line_types import spec_of
from billing_portal.money import to_decimal, to_units
from billing_portal.ownership.frames import (
    PRINCIPAL_ATTRIBUTION_COLUMNS,
    RESOURCE_ATTRIBUTION_COLUMNS,
    conform,
    text,
)
from billing_portal.ownership.names import UNALLOCATED, principal_type_of, resource_type_of
from billing_portal.ownership.objects import api_key_owners, key_holders, object_owners
from billing_portal.ownership.resolve import UNKNOWN, resolve_attribution

# Usage metric codes: column of Usage.values.
TOTAL, REQUEST, RESPONSE = 0, 1, 2
METRIC_CODE = {"total": TOTAL, "request": REQUEST, "response": RESPONSE}
SPLIT_CODE = {"usage": 0, "even": 1, "hybrid": 2}

USAGE, EVEN, HYBRID = 0, 1, 2
ATTRS = ("owner", "team", "business_unit", "business_product", "cost_center")
_OWN_SOURCES = ("mapping", "catalog", "object", "name")


@dataclass
class Ids:
    """Every id a fact row can name as principal or take its attributes from ("subject"), as one integer code
    space, with aligned attribute arrays."""

    index: pd.Index
    principal_type: np.ndarray
    attrs: dict[str, np.ndarray]
    known: np.ndarray          # the id has its own attribution (mapping, catalog, object or name)
    owner_reason: np.ndarray   # reason code owner_from_<source>
    owner_principal: np.ndarray  # code of the principal that pays for a resource's owner tier, -1 if none

    def codes(self, values) -> np.ndarray:
        return self.index.get_indexer(pd.Index(values)).astype(np.int64)

    def code(self, value: str) -> int:
        return int(self.index.get_loc(value))


@dataclass
class Usage:
    """Hourly bytes per (cluster, hour, principal), summed and sorted by (cluster code, hour, principal code).

    `values[:, TOTAL|REQUEST|RESPONSE]`; per-cluster row ranges `start`/`count`; daily per (cluster, principal) in
    `daily_*` (sorted by key cluster * P + principal); `hourly[c, h, metric]` cluster totals."""

    cluster: np.ndarray    # cluster code of each row
    hour: np.ndarray       # hour of the day, 0–23
    principal: np.ndarray  # principal code
    values: np.ndarray
    start: np.ndarray
    count: np.ndarray
    daily_key: np.ndarray
    daily_cluster: np.ndarray
    daily_principal: np.ndarray
    daily_values: np.ndarray
    daily_start: np.ndarray
    daily_count: np.ndarray
    hourly: np.ndarray
    n_principals: int
    ignored_rows: int

    @property
    def key(self) -> np.ndarray:
        """(cluster * 24 + hour) * P + principal: sorted, unique."""
        return (self.cluster * HOURS + self.hour) * self.n_principals + self.principal

    def cluster_total(self, c: np.ndarray, metric: np.ndarray) -> np.ndarray:
        """Day total of `metric` for clusters `c` (0 for c = -1)."""
        out = np.zeros(len(c))
        ok = c >= 0
        out[ok] = self.hourly[c[ok], :, metric[ok]].sum(axis=1)
        return out


@dataclass
class Context:
    usage_date: dt.date
    config: AllocationConfig
    lines: pd.DataFrame
    ids: Ids
    clusters: pd.Index
    usage: Usage
    active_c: np.ndarray       # active (cluster, principal) pairs, sorted by cluster
    active_p: np.ndarray
    active_start: np.ndarray   # per cluster
    active_count: np.ndarray
    org_active: np.ndarray     # principal codes active anywhere in the org that day
    key_holders: pd.DataFrame  # resource_id, p (principal code)
    sr_by_env: pd.DataFrame    # env_id, sr_id
    profile: np.ndarray        # (n_lines, 24) hour weights of each line, rows sum to 1
    unallocated: int           # code of UNALLOCATED
    usage_source: np.ndarray   # per cluster code: FROM_METRICS_API | FROM_PROMETHEUS | USAGE_MISSING | USAGE_EXPIRED
    # Flink: CFUs per (compute pool, hour, principal code; -1 = the statement's principal was never observed)
    flink: pd.DataFrame = None
    flink_source: dict = None  # compute pool → usage source code
    # Schemas per registry: sr_id, p (payer code; -1 = unowned schema) — for split: schema_owners
    schemas: pd.DataFrame = None

    def source_of(self, c: np.ndarray) -> np.ndarray:
        """Usage source code of clusters `c` (-1: none → FROM_METRICS_API)."""
        c = np.asarray(c, dtype=np.int64)
        out = np.zeros(len(c), dtype=np.int8)
        ok = c >= 0
        out[ok] = self.usage_source[c[ok]]
        return out

    def n_active(self, c: np.ndarray) -> np.ndarray:
        out = np.zeros(len(c), dtype=np.int64)
        ok = c >= 0
        out[ok] = self.active_count[c[ok]]
        return out


# ----------------------------------------------------------------------------------------------------------- lines
def _text_column(frame: pd.DataFrame, col: str) -> list[str | None]:
    if col not in frame.columns:
        return [None] * len(frame)
    return [text(v) for v in frame[col].tolist()]


def normalize_lines(inputs: DayInputs) -> pd.DataFrame:
    """The bill lines with clean text columns, upper-case product/line type and int64 `amount_units`."""
    src = inputs.lines.reset_index(drop=True)
    n = len(src)
    out = pd.DataFrame(index=pd.RangeIndex(n))
    out["line_no"] = (src["line_no"].astype("int64").to_numpy() if "line_no" in src.columns
                      else np.arange(n, dtype=np.int64))
    for col in ("org_id", "env_id", "resource_id", "resource_name", "product", "line_type"):
        out[col] = pd.Series(_text_column(src, col), dtype=object)
    out["org_id"] = out["org_id"].where(out["org_id"].notna(), inputs.org_id)
    out["product"] = [(p or "UNKNOWN").upper() for p in out["product"]]
    out["line_type"] = [(t or "UNKNOWN").upper() for t in out["line_type"]]
    if "amount_units" in src.columns:
        out["amount_units"] = src["amount_units"].astype("int64").to_numpy()
    else:
        out["amount_units"] = np.array([to_units(to_decimal(a)) for a in src["amount"].tolist()], dtype=np.int64)
    return out


# -------------------------------------------------------------------------------------------------------------- ids
def _attribution_frames(inputs: DayInputs) -> tuple[pd.DataFrame, pd.DataFrame]:
    if inputs.principals is None or inputs.resources is None:
        principals, resources = resolve_attribution(inputs.objects, None, None, inputs.usage)
        return (principals if inputs.principals is None else inputs.principals,
                resources if inputs.resources is None else inputs.resources)
    return inputs.principals, inputs.resources


def _type_of_id(value: str) -> str:
    kind = principal_type_of(value)
    return kind if kind != "unknown" else (resource_type_of(value) or "unknown")


def build_ids(principals: pd.DataFrame, resources: pd.DataFrame, extra_ids: list[str],
              synthetic: dict[str, dict[str, str]]) -> Ids:
    """The code space: principals (attribution rows), resources (attribution rows; their principal_type is their
    resource type), then any other id seen (attributes `unknown`), synthetic team principals and UNALLOCATED."""
    p = conform(principals, PRINCIPAL_ATTRIBUTION_COLUMNS)
    r = conform(resources, RESOURCE_ATTRIBUTION_COLUMNS)
    rows_p = pd.DataFrame({"id": p["principal_id"], "ptype": p["principal_type"],
                           **{a: p[a] for a in ATTRS}, "source": p["attribution_source"], "owner_principal": None})
    rows_r = pd.DataFrame({"id": r["resource_id"], "ptype": r["resource_type"],
                           **{a: r[a] for a in ATTRS}, "source": r["attribution_source"],
                           "owner_principal": r["owner_principal_id"]})
    synth = pd.DataFrame([{"id": sid, "ptype": "team", **{a: vals.get(a) for a in ATTRS}, "source": "synthetic",
                           "owner_principal": None} for sid, vals in synthetic.items()],
                         columns=rows_p.columns)
    unalloc = pd.DataFrame([{"id": UNALLOCATED, "ptype": "unallocated", **dict.fromkeys(ATTRS, "unallocated"),
                             "source": "synthetic", "owner_principal": None}])
    owner_ids = [x for x in (text(v) for v in r["owner_principal_id"].tolist()) if x]
    extra = pd.DataFrame({"id": list(extra_ids) + owner_ids})
    frames = [f for f in (rows_p, rows_r, synth, unalloc, extra) if len(f)]
    allrows = pd.concat(frames, ignore_index=True)
    allrows["id"] = [text(v) for v in allrows["id"].tolist()]
    allrows = allrows[allrows["id"].notna()].drop_duplicates("id", keep="first").reset_index(drop=True)
    ids = allrows["id"].tolist()
    ptype = [text(t) or _type_of_id(i) for i, t in zip(ids, allrows["ptype"].tolist(), strict=True)]
    attrs = {a: np.array([text(v) or UNKNOWN for v in allrows[a].tolist()], dtype=object) for a in ATTRS}
    source = np.array([text(s) or UNKNOWN for s in allrows["source"].tolist()], dtype=object)
    index = pd.Index(ids, dtype=object)
    owner_principal = index.get_indexer(pd.Index([text(v) for v in allrows["owner_principal"].tolist()],
                                                 dtype=object)).astype(np.int64)
    return Ids(index=index, principal_type=np.array(ptype, dtype=object), attrs=attrs,
               known=np.isin(source, _OWN_SOURCES), owner_reason=owner_reason_codes(source),
               owner_principal=owner_principal)


# ------------------------------------------------------------------------------------------------------------ usage
@dataclass
class UsageArrays:
    """Usage rows of the day: hour index 0..23, factorized cluster and principal ids, bytes ≥ 0."""

    h: np.ndarray
    cluster_code: np.ndarray     # into cluster_ids
    cluster_ids: np.ndarray
    principal_code: np.ndarray   # into principal_ids
    principal_ids: np.ndarray
    request_bytes: np.ndarray
    response_bytes: np.ndarray
    ignored: int


def _usage_arrays(inputs: DayInputs, key_owner: dict[str, str]) -> UsageArrays:
    """Usage rows of the day. An API-key id in `principal_id` is replaced by the key's owner; NaN/negative bytes
    count as 0; rows outside the day or without ids are ignored (and counted)."""
    u = inputs.usage
    if u is None or len(u) == 0:
        z = np.zeros(0, dtype=np.int64)
        return UsageArrays(z, z, np.zeros(0, dtype=object), z, np.zeros(0, dtype=object), z.astype(float),
                           z.astype(float), 0)
    hours = pd.to_datetime(u["hour"], utc=True)
    start = pd.Timestamp(inputs.usage_date, tz="UTC")
    h = ((hours - start) // pd.Timedelta(hours=1)).to_numpy(dtype=np.float64, na_value=-1)
    c_code, c_ids = pd.factorize(u["cluster_id"])
    p_code, p_ids = pd.factorize(u["principal_id"])
    ok = (h >= 0) & (h < HOURS) & (c_code >= 0) & (p_code >= 0)

    def nonneg(col: str) -> np.ndarray:
        v = pd.to_numeric(u[col], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)[ok]
        return np.clip(np.nan_to_num(v, nan=0.0, posinf=0.0, neginf=0.0), 0.0, None)

    principal_ids = np.array([key_owner.get(str(x), str(x)) for x in p_ids], dtype=object)
    return UsageArrays(h=h[ok].astype(np.int64), cluster_code=c_code[ok].astype(np.int64),
                       cluster_ids=np.array([str(x) for x in c_ids], dtype=object),
                       principal_code=p_code[ok].astype(np.int64), principal_ids=principal_ids,
                       request_bytes=nonneg("request_bytes"), response_bytes=nonneg("response_bytes"),
                       ignored=int((~ok).sum()))


def build_usage(arrays: UsageArrays, clusters: pd.Index, ids: Ids) -> Usage:
    n_c, n_p = len(clusters), max(len(ids.index), 1)
    c = clusters.get_indexer(pd.Index(arrays.cluster_ids, dtype=object)).astype(np.int64)[arrays.cluster_code]
    p = ids.codes(arrays.principal_ids)[arrays.principal_code]
    h = arrays.h
    req, resp = arrays.request_bytes, arrays.response_bytes
    vals = np.column_stack([req + resp, req, resp]) if len(req) else np.zeros((0, 3))
    ukey, inv = np.unique((c * HOURS + h) * n_p + p, return_inverse=True)
    agg = np.column_stack([np.bincount(inv, weights=vals[:, m], minlength=len(ukey)) for m in range(3)]) \
        if len(ukey) else np.zeros((0, 3))
    uc, uh, up = ukey // (HOURS * n_p), (ukey // n_p) % HOURS, ukey % n_p
    start = np.searchsorted(uc, np.arange(n_c))
    count = np.searchsorted(uc, np.arange(n_c), side="right") - start
    flat = uc * HOURS + uh
    hourly = np.column_stack([np.bincount(flat, weights=agg[:, m], minlength=n_c * HOURS) for m in range(3)]) \
        .reshape(n_c, HOURS, 3) if n_c else np.zeros((0, HOURS, 3))
    dkey, dinv = np.unique(uc * n_p + up, return_inverse=True)
    daily = np.column_stack([np.bincount(dinv, weights=agg[:, m], minlength=len(dkey)) for m in range(3)]) \
        if len(dkey) else np.zeros((0, 3))
    dc, dp = dkey // n_p, dkey % n_p
    dstart = np.searchsorted(dc, np.arange(n_c))
    dcount = np.searchsorted(dc, np.arange(n_c), side="right") - dstart
    return Usage(cluster=uc, hour=uh, principal=up, values=agg, start=start, count=count, daily_key=dkey,
                 daily_cluster=dc, daily_principal=dp,
                 daily_values=daily, daily_start=dstart, daily_count=dcount, hourly=hourly, n_principals=n_p,
                 ignored_rows=arrays.ignored)


# ------------------------------------------------------------------------------------------------------------ flink
FLINK_COLUMNS = ("pool", "hour", "principal", "cfus")


def _flink_principals(inputs: DayInputs) -> pd.DataFrame:
    """The day's statement usage with the principal each statement runs as (None when never observed): pool,
    hour index, principal_id, cfus ≥ 0."""
    u = inputs.flink_usage
    if u is None or not len(u):
        return pd.DataFrame({"pool": pd.Series(dtype=object), "hour": pd.Series(dtype=np.int64),
                             "principal_id": pd.Series(dtype=object), "cfus": pd.Series(dtype=np.float64)})
    start = pd.Timestamp(inputs.usage_date, tz="UTC")
    h = ((pd.to_datetime(u["hour"], utc=True) - start) // pd.Timedelta(hours=1)).to_numpy(dtype=np.float64,
                                                                                            na_value=-1)
    frame = pd.DataFrame({"pool": [text(v) for v in u["cluster_id"].tolist()],
                          "statement_name": [text(v) for v in u["statement_name"].tolist()],
                          "hour": h, "cfus": pd.to_numeric(u["cfus"], errors="coerce").fillna(0.0).clip(lower=0.0)})
    frame = frame[(frame["hour"] >= 0) & (frame["hour"] < HOURS) & frame["pool"].notna() & (frame["cfus"] > 0)]
    st = inputs.flink_statements
    if st is not None and len(st):
        owners = pd.DataFrame({"pool": [text(v) for v in st["compute_pool_id"].tolist()],
                               "statement_name": [text(v) for v in st["statement_name"].tolist()],
                               "principal_id": [text(v) for v in st["principal_id"].tolist()]}).dropna(
            subset=["pool", "statement_name"]).drop_duplicates(["pool", "statement_name"])
        frame = frame.merge(owners, on=["pool", "statement_name"], how="left")
    else:
        frame = frame.assign(principal_id=None)
    frame["hour"] = frame["hour"].astype(np.int64)
    return frame[["pool", "hour", "principal_id", "cfus"]].astype({"principal_id": object})


def _schema_payers(inputs: DayInputs) -> tuple[pd.DataFrame, dict[str, dict[str, str | None]]]:
    """(sr_id, payer) of every schema of the day, and the synthetic principals of the payers (their attributes, the
    first schema's when several differ)."""
    s = inputs.schema_owners
    if s is None or not len(s):
        return pd.DataFrame({"sr_id": pd.Series(dtype=object), "payer": pd.Series(dtype=object)}), {}
    frame = pd.DataFrame({"sr_id": pd.Series([text(v) for v in s["sr_id"].tolist()], dtype=object),
                          "payer": pd.Series([text(v) for v in s["payer"].tolist()], dtype=object)})
    synthetic: dict[str, dict[str, str | None]] = {}
    for row in s.itertuples(index=False):
        payer = text(row.payer)
        if payer and payer not in synthetic:
            synthetic[payer] = {a: text(getattr(row, a, None)) for a in ATTRS}
    return frame, synthetic


def _flink_frame(named: pd.DataFrame, ids: Ids) -> pd.DataFrame:
    """CFUs summed per (pool, hour, principal code); a statement whose principal is unknown has code -1."""
    p = ids.codes(pd.Index(named["principal_id"].tolist(), dtype=object)) if len(named) else np.zeros(0, np.int64)
    out = pd.DataFrame({"pool": named["pool"].to_numpy(dtype=object), "hour": named["hour"].to_numpy(dtype=np.int64),
                        "principal": p, "cfus": named["cfus"].to_numpy(dtype=np.float64)})
    return out.groupby(["pool", "hour", "principal"], as_index=False, sort=True)["cfus"].sum()[list(FLINK_COLUMNS)]


# ------------------------------------------------------------------------------------------------------------ build
def _line_metric_and_split(lines: pd.DataFrame, config: AllocationConfig) -> tuple[np.ndarray, ...]:
    """Per line: the principal-usage metric code, the split code and the usage ratio."""
    metric, split, ratio = [], [], []
    for lt in lines["line_type"].tolist():
        s = config.shared_split(lt)
        spec = spec_of(lt)
        # the line type's own usage metric (network write = request bytes, read = response), else its split's
        metric.append(METRIC_CODE[spec.metric] if spec is not None and spec.metric else METRIC_CODE[s.metric])
        split.append(SPLIT_CODE[s.method])
        ratio.append(s.usage_ratio if s.method == "hybrid" else (1.0 if s.method == "usage" else 0.0))
    return (np.array(metric, dtype=np.int64), np.array(split, dtype=np.int64), np.array(ratio, dtype=np.float64))


def _link_lines(lines: pd.DataFrame, objects, resources: pd.DataFrame | None) -> None:
    """Add each line's resource_type, Kafka cluster (`cluster_id`, where one applies) and env_id (from the line,
    else from the resource's attribution)."""
    res = conform(resources, RESOURCE_ATTRIBUTION_COLUMNS)
    res_ids = [text(v) for v in res["resource_id"].tolist()]
    res_type = dict(zip(res_ids, (text(v) for v in res["resource_type"].tolist()), strict=True))
    res_env = dict(zip(res_ids, (text(v) for v in res["env_id"].tolist()), strict=True))
    res_cluster = dict(zip(res_ids, (text(v) for v in res["cluster_id"].tolist()), strict=True))
    for frame, id_col, cluster_col in ((objects.connectors, "connector_id", "cluster_id"),
                                       (objects.ksqldb_clusters, "ksqldb_id", "kafka_cluster_id")):
        for rid, kc in zip(frame[id_col].tolist(), frame[cluster_col].tolist(), strict=True):
            if text(rid) and text(kc):
                res_cluster.setdefault(text(rid), text(kc))
    rid = lines["resource_id"].tolist()
    rtype = [(res_type.get(r) or resource_type_of(r)) if r else None for r in rid]
    lines["resource_type"] = pd.Series(rtype, dtype=object)
    lines["cluster_id"] = pd.Series([r if (r and t == "kafka_cluster") else (res_cluster.get(r) if r else None)
                                     for r, t in zip(rid, rtype, strict=True)], dtype=object)
    lines["env_id"] = pd.Series([e or (res_env.get(r) if r else None)
                                 for e, r in zip(lines["env_id"].tolist(), rid, strict=True)], dtype=object)


def _synthetic_principals(config: AllocationConfig) -> tuple[dict[str, dict[str, str | None]], list[str]]:
    """Synthetic team principals and named principals of the distribution rules."""
    synthetic, named = {}, []
    for rule in [*config.no_resource_rules.values(), config.default_no_resource_rule]:
        if rule.synthetic_principal:
            synthetic[rule.synthetic_principal] = {"team": rule.team, "business_unit": rule.business_unit,
                                                   "business_product": rule.business_product,
                                                   "cost_center": rule.cost_center}
        if rule.principal_id:
            named.append(rule.principal_id)
    return synthetic, named


def _active_principals(usage: Usage, clusters: pd.Index, ids: Ids, holders: pd.DataFrame):
    """Active (cluster, principal) pairs sorted by cluster — seen in metrics with bytes > 0, or holding an API key
    on the cluster — with per-cluster ranges, and the principals active anywhere in the org."""
    seen = usage.daily_values[:, TOTAL] > 0
    key_c = clusters.get_indexer(pd.Index(holders["resource_id"], dtype=object)).astype(np.int64)
    key_p = ids.codes(holders["principal_id"])
    keep = (key_c >= 0) & (key_p >= 0)
    n_p = usage.n_principals
    akey = np.unique(np.r_[usage.daily_key[seen], key_c[keep] * n_p + key_p[keep]])
    active_c, active_p = akey // n_p, akey % n_p
    start = np.searchsorted(active_c, np.arange(len(clusters)))
    count = np.searchsorted(active_c, np.arange(len(clusters)), side="right") - start
    org_active = np.unique(np.r_[usage.daily_principal[seen], key_p[key_p >= 0]])
    return active_c, active_p, start, count, org_active, key_p


def build_context(inputs: DayInputs, config: AllocationConfig) -> Context:
    """Prepare everything the rules read, once per day."""
    objects = inputs.objects
    lines = normalize_lines(inputs)
    principals, resources = _attribution_frames(inputs)
    _link_lines(lines, objects, resources)
    lines["rule"] = route(lines, config)
    lines["usage_driven"] = lines["line_type"].isin(set(config.usage_driven_line_types)).to_numpy()
    lines["metric"], lines["split"], lines["usage_ratio"] = _line_metric_and_split(lines, config)

    usage_arrays = _usage_arrays(inputs, api_key_owners(objects))
    runs_as = object_owners(objects)
    holders = key_holders(objects)
    synthetic, named = _synthetic_principals(config)
    flink_named = _flink_principals(inputs)
    schema_payers, schema_synthetic = _schema_payers(inputs)
    synthetic = {**schema_synthetic, **synthetic}  # a distribution rule's team principal keeps its own attributes
    rid = lines["resource_id"].tolist()
    extra = ([x for x in rid if x] + [x for x in lines["env_id"] if x] + list(usage_arrays.principal_ids)
             + runs_as["principal_id"].tolist() + holders["principal_id"].tolist() + named
             + [x for x in flink_named["principal_id"].tolist() if x])
    ids = build_ids(principals, resources, list(pd.unique(pd.Series(extra, dtype=object))), synthetic)

    clusters = pd.Index(pd.unique(pd.Series([*(x for x in lines["cluster_id"] if x),
                                             *usage_arrays.cluster_ids], dtype=object)), dtype=object)
    usage = build_usage(usage_arrays, clusters, ids)

    lines["idx"] = np.arange(len(lines), dtype=np.int64)
    lines["cluster"] = clusters.get_indexer(pd.Index(lines["cluster_id"], dtype=object)).astype(np.int64)
    lines["resource"] = ids.codes(lines["resource_id"])
    lines["env"] = ids.codes(lines["env_id"])
    owner_of = dict(zip(runs_as["resource_id"], runs_as["principal_id"], strict=True))
    evidence_of = dict(zip(runs_as["resource_id"], runs_as["evidence"], strict=True))
    lines["runs_as"] = ids.codes([owner_of.get(r) for r in rid])
    lines["runs_as_reason"] = [reason_code(Reason(evidence_of[r])) if r in evidence_of else -1 for r in rid]

    active_c, active_p, active_start, active_count, org_active, key_p = \
        _active_principals(usage, clusters, ids, holders)
    kh = pd.DataFrame({"resource_id": pd.Series(holders["resource_id"].tolist(), dtype=object), "principal": key_p})
    srs = objects.schema_registries
    sr_by_env = pd.DataFrame({"env_id": pd.Series([text(v) for v in srs["env_id"].tolist()], dtype=object),
                              "sr_id": pd.Series([text(v) for v in srs["sr_id"].tolist()], dtype=object)}).dropna()

    ctx = Context(usage_date=inputs.usage_date, config=config, lines=lines, ids=ids, clusters=clusters, usage=usage,
                  active_c=active_c, active_p=active_p, active_start=active_start, active_count=active_count,
                  org_active=org_active, key_holders=kh, sr_by_env=sr_by_env,
                  profile=hour_profiles(lines, usage), unallocated=ids.code(UNALLOCATED),
                  usage_source=np.array([USAGE_SOURCE_CODE.get(inputs.usage_sources.get(str(cid)), FROM_METRICS_API)
                                         for cid in clusters], dtype=np.int8),
                  flink=_flink_frame(flink_named, ids),
                  schemas=pd.DataFrame({"sr_id": schema_payers["sr_id"],
                                        "principal": ids.codes(pd.Index(schema_payers["payer"].tolist(), dtype=object))}),
                  flink_source={str(k): USAGE_SOURCE_CODE.get(v, FROM_METRICS_API)
                                for k, v in inputs.flink_usage_sources.items()})
    return ctx
