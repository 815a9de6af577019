"""Which rule allocates which bill line: by line type (Confluent's `line_type`), with overrides from the
configuration (`line_type_rules`). A line without a resource always goes to `no_resource`; a line type nobody knows
goes to `fallback` (never dropped).

To find the rule of a line type: its row in `billing_portal/model/line_types.py` (LINE_TYPES) names it; open
`rules/<rule>.py`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, get_args

import numpy as np

from billing_portal.model.line_types import LINE_TYPE, LINE_TYPES, Rule

if TYPE_CHECKING:
    import pandas as pd

    from billing_portal.allocation.config import AllocationConfig

# derived from the line-type table (billing_portal/model/line_types.py): one row per line type
RULE_OF_LINE_TYPE: dict[str, str] = {s.line_type: s.rule for s in LINE_TYPES}

RULE_NAMES: tuple[str, ...] = get_args(Rule)


def rule_for(line_type: str, has_resource: bool, config: AllocationConfig) -> str:
    """The rule name for one line: no resource → `no_resource`; else the configured override, else the table,
    else `fallback`. Org-level line types (SUPPORT, PROMO_CREDIT, AUDIT_LOG_READ) stay with `no_resource` even when
    they name a resource (AUDIT_LOG_READ names the Confluent-managed audit-log cluster, not one of the org's)."""
    override = config.line_type_rules.get(line_type)
    if not has_resource:
        return "no_resource"
    if override:
        return override
    spec = LINE_TYPE.get(line_type)
    if spec is None:
        return "fallback"
    return "no_resource" if spec.org_level else spec.rule


def route(lines: pd.DataFrame, config: AllocationConfig) -> np.ndarray:
    """Rule name per line (object array aligned with `lines`)."""
    return np.array([rule_for(lt, bool(r), config)
                     for lt, r in zip(lines["line_type"].tolist(), lines["resource_id"].tolist(), strict=True)],
                    dtype=object)
