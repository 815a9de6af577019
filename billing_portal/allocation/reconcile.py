"""Reconciliation helpers: facts against the bill, per bill line, per resource × line type and per day. Returns the
differences (in int64 units of 1e-8 USD; exact equality is the bar, so cents follow)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from billing_portal.money import from_units, to_decimal, to_units


@dataclass
class ReconciliationResult:
    """`by_line`, `by_resource_line_type`, `by_day`: billed_units, allocated_units, difference_units
    (allocated − billed). Lines missing from the facts and facts of unknown lines both show as differences."""

    by_line: pd.DataFrame
    by_resource_line_type: pd.DataFrame
    by_day: pd.DataFrame

    @property
    def ok(self) -> bool:
        return not (self.by_line["difference_units"].any() or self.by_resource_line_type["difference_units"].any()
                    or self.by_day["difference_units"].any())

    @property
    def differences(self) -> pd.DataFrame:
        """The bill lines whose facts do not sum to the bill."""
        return self.by_line[self.by_line["difference_units"] != 0].reset_index(drop=True)

    def as_dict(self) -> dict:
        billed = int(self.by_day["billed_units"].sum())
        allocated = int(self.by_day["allocated_units"].sum())
        return {"ok": self.ok, "billed_usd": f"{from_units(billed):f}", "allocated_usd": f"{from_units(allocated):f}",
                "difference_usd": f"{from_units(allocated - billed):f}",
                "mismatched_lines": int((self.by_line["difference_units"] != 0).sum()),
                "mismatched_resource_line_types": int((self.by_resource_line_type["difference_units"] != 0).sum())}


def _day_column(frame: pd.DataFrame) -> pd.Series:
    if "usage_date" not in frame.columns:
        return pd.Series([None] * len(frame), index=frame.index, dtype=object)
    return pd.Series(pd.to_datetime(frame["usage_date"]).dt.date.to_numpy(dtype=object), index=frame.index,
                     dtype=object)


def _amount_units(lines: pd.DataFrame) -> np.ndarray:
    if "amount_units" in lines.columns:
        return lines["amount_units"].to_numpy(np.int64)
    return np.array([to_units(to_decimal(a)) for a in lines["amount"].tolist()], dtype=np.int64)


def _compare(billed: pd.DataFrame, allocated: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    b = billed.groupby(keys, dropna=False, sort=True)["units"].sum().rename("billed_units")
    a = allocated.groupby(keys, dropna=False, sort=True)["units"].sum().rename("allocated_units")
    out = pd.concat([b, a], axis=1).fillna(0).astype("int64").reset_index()
    out["difference_units"] = out["allocated_units"] - out["billed_units"]
    return out


def reconcile(lines: pd.DataFrame, facts: pd.DataFrame) -> ReconciliationResult:
    """Compare `facts` (amount_units, line_no, resource_id, line_type, usage_date) with the bill `lines`
    (amount_units or amount, line_no, resource_id, line_type, usage_date)."""
    billed = pd.DataFrame({"usage_date": _day_column(lines), "line_no": lines["line_no"].astype("int64"),
                           "resource_id": lines["resource_id"].astype(object),
                           "line_type": lines["line_type"].astype(object), "units": _amount_units(lines)})
    allocated = pd.DataFrame({"usage_date": _day_column(facts), "line_no": facts["line_no"].astype("int64"),
                              "resource_id": facts["resource_id"].astype(object),
                              "line_type": facts["line_type"].astype(object),
                              "units": facts["amount_units"].to_numpy(np.int64)})
    if billed["usage_date"].isna().all() or allocated["usage_date"].isna().all():
        billed["usage_date"] = None
        allocated["usage_date"] = None
    for f in (billed, allocated):
        f["resource_id"] = f["resource_id"].where(f["resource_id"].notna(), None)
    return ReconciliationResult(
        by_line=_compare(billed, allocated, ["usage_date", "line_no"]),
        by_resource_line_type=_compare(billed, allocated, ["usage_date", "resource_id", "line_type"]),
        by_day=_compare(billed, allocated, ["usage_date"]),
    )
