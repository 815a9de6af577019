"""Lines of an object that names the identity it runs as (connectors, ksqlDB clusters): that identity pays."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from billing_portal.allocation.rules.fallback import ladder
from billing_portal.allocation.vocabulary import Confidence, Method, Reason, confidence_code, method_code
from billing_portal.allocation.weights import concat_weights, over_hours

if TYPE_CHECKING:
    from billing_portal.allocation.context import Context


def allocate_to_object_identity(lines: pd.DataFrame, ctx: Context) -> pd.DataFrame:
    """principal = the identity the object names (`runs_as`), attributes from the resource's attribution (which a
    mapping entry for the resource overrides), method `object_owner`, confidence high, over the line's hour
    profile. Objects without an identity → fallback ladder with reason `no_identity_on_object`."""
    runs_as = lines["runs_as"].to_numpy()
    has = runs_as >= 0
    parts = []
    if has.any():
        sub = lines[has]
        parts.append(over_hours(ctx, sub["idx"].to_numpy(), runs_as[has], sub["resource"].to_numpy(),
                                method_code(Method.OBJECT_OWNER), sub["runs_as_reason"].to_numpy(),
                                confidence_code(Confidence.HIGH), 1.0))
    if (~has).any():
        parts.append(ladder(lines[~has], ctx, Reason.NO_IDENTITY_ON_OBJECT))
    return concat_weights(parts)
