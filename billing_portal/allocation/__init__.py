"""Allocation: every billed dollar of a day on an hour, a principal and its business owners, with method, reason and
confidence, summing back to the bill exactly. Pure functions, no I/O (rules in docs/ALLOCATION.md)."""

from billing_portal.allocation.confidence import compute_confidence
from billing_portal.allocation.config import (
    AllocationConfig,
    DistributionRule,
    SharedSplit,
    load_allocation_config,
)
from billing_portal.allocation.engine import allocate_day
from billing_portal.allocation.inputs import FACT_COLUMNS, AllocationResult, CatalogData, CoreObjects, DayInputs
from billing_portal.allocation.reconcile import ReconciliationResult, reconcile
from billing_portal.allocation.vocabulary import Confidence, Coverage, Method, Reason

__all__ = [
    "FACT_COLUMNS",
    "AllocationConfig",
    "AllocationResult",
    "CatalogData",
    "Confidence",
    "CoreObjects",
    "Coverage",
    "DayInputs",
    "DistributionRule",
    "Method",
    "Reason",
    "ReconciliationResult",
    "SharedSplit",
    "allocate_day",
    "compute_confidence",
    "load_allocation_config",
    "reconcile",
]
