"""The fallback ladder, shared by every rule whose primary evidence is missing, and the rule for unknown line types.

Tiers, first that applies wins (per line):
  1. resource_owner           the resource has its own attribution (mapping, catalog, object, name): its owner
                              principal if one is known, else the resource itself as principal.   medium
                              reason: owner_from_<source>
  2. even_active_principals   evenly over the active principals of the line's Kafka cluster
                              (API-key holders + principals seen in metrics that day).             low
                              reason: why the primary evidence was missing (passed by the rule)
  3. env_owner                the environment has its own attribution: its owner principal, else
                              the environment itself.                                             low (governance: medium)
                              reason: owner_from_<source>
  4. unallocated              principal UNALLOCATED.                                              low
                              reason: why the primary evidence was missing
A line of an unknown line type says `unknown_line_type` as its reason at every tier, so unknown types stay visible;
likewise a usage-driven line whose usage expired before it was captured says `usage_expired_before_capture` at every
tier (the method still says which tier paid).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from billing_portal.allocation.joins import ranges
from billing_portal.allocation.registry import RULE_OF_LINE_TYPE
from billing_portal.allocation.vocabulary import Confidence, Method, Reason, confidence_code, method_code, reason_code
from billing_portal.allocation.weights import concat_weights, over_hours

if TYPE_CHECKING:
    from billing_portal.allocation.context import Context


def active_pairs(ctx: Context, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For lines on clusters `c` (-1: none): (position of the line, principal code) of every active principal."""
    c = np.asarray(c, dtype=np.int64)
    ok = c >= 0
    starts = np.where(ok, ctx.active_start[np.maximum(c, 0)] if len(ctx.active_start) else 0, 0)
    counts = np.where(ok, ctx.active_count[np.maximum(c, 0)] if len(ctx.active_count) else 0, 0)
    pos, j = ranges(starts, counts)
    return pos, ctx.active_p[j]


def _owner_principal(ctx: Context, r: np.ndarray) -> np.ndarray:
    """The principal that pays for an owner tier: the resource's owner principal, else the resource itself."""
    op = ctx.ids.owner_principal[r]
    return np.where(op >= 0, op, r)


# reasons a row keeps whatever tier pays (the owner tiers otherwise say where the owner came from)
KEPT_AT_EVERY_TIER = np.array([reason_code(r) for r in (Reason.UNKNOWN_LINE_TYPE, Reason.USAGE_EXPIRED_BEFORE_CAPTURE,
                                                       Reason.STATEMENT_OWNER_UNKNOWN)], dtype=np.int16)


def ladder(lines: pd.DataFrame, ctx: Context, why, env_confidence: Confidence = Confidence.LOW) -> pd.DataFrame:
    """Weights for `lines` by the fallback tiers above. `why`: a Reason, or an array of reason codes per line."""
    if len(lines) == 0:
        return concat_weights([])
    ids = ctx.ids
    idx = lines["idx"].to_numpy()
    r, c, e = lines["resource"].to_numpy(), lines["cluster"].to_numpy(), lines["env"].to_numpy()
    why = np.broadcast_to(np.asarray(reason_code(why) if isinstance(why, Reason) else why, dtype=np.int16),
                          (len(lines),))
    unknown = np.isin(why, KEPT_AT_EVERY_TIER)

    own = (r >= 0) & ids.known[np.maximum(r, 0)]
    n_active = ctx.n_active(c)
    even = ~own & (n_active > 0)
    env = ~own & ~even & (e >= 0) & ids.known[np.maximum(e, 0)]
    rest = ~own & ~even & ~env
    parts = []
    if own.any():
        rr = r[own]
        parts.append(over_hours(ctx, idx[own], _owner_principal(ctx, rr), rr, method_code(Method.RESOURCE_OWNER),
                                np.where(unknown[own], why[own], ids.owner_reason[rr]),
                                confidence_code(Confidence.MEDIUM), 1.0))
    if even.any():
        pos, p = active_pairs(ctx, c[even])
        parts.append(over_hours(ctx, idx[even][pos], p, p, method_code(Method.EVEN_ACTIVE_PRINCIPALS),
                                why[even][pos], confidence_code(Confidence.LOW), 1.0))
    if env.any():
        ee = e[env]
        parts.append(over_hours(ctx, idx[env], _owner_principal(ctx, ee), ee, method_code(Method.ENV_OWNER),
                                np.where(unknown[env], why[env], ids.owner_reason[ee]),
                                confidence_code(env_confidence), 1.0))
    if rest.any():
        parts.append(over_hours(ctx, idx[rest], ctx.unallocated, ctx.unallocated, method_code(Method.UNALLOCATED),
                                why[rest], confidence_code(Confidence.LOW), 1.0))
    return concat_weights(parts)


def allocate(lines: pd.DataFrame, ctx: Context) -> pd.DataFrame:
    """Lines no other rule takes: unknown line types (reason `unknown_line_type`), and known types routed here by
    configuration (`line_type_rules`; reason `routed_to_fallback`)."""
    known = lines["line_type"].isin(RULE_OF_LINE_TYPE.keys()).to_numpy()
    why = np.where(known, reason_code(Reason.ROUTED_TO_FALLBACK), reason_code(Reason.UNKNOWN_LINE_TYPE))
    return ladder(lines, ctx, why)
