"""Flink (FLINK_NUM_CFUS / FLINK_NUM_CFU): compute pools carry no identity in the API, so the pool's owner as
known pays — the mapping file, then the pool's name (`…-owner-<x>`): method `resource_owner`, reason
`owner_from_<source>`, confidence medium, evenly over the day. Unknown owner → the environment's owner (low), else
UNALLOCATED (reason `no_identity_on_object`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from billing_portal.allocation.rules.fallback import ladder
from billing_portal.allocation.vocabulary import Reason

if TYPE_CHECKING:
    from billing_portal.allocation.context import Context


def allocate(lines: pd.DataFrame, ctx: Context) -> pd.DataFrame:
    return ladder(lines, ctx, Reason.NO_IDENTITY_ON_OBJECT)
