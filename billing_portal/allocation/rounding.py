"""Largest-remainder rounding, vectorised over all bill lines at once: turns float weights into integer units that
sum EXACTLY to each line's amount.

For each line with amount A (units, any sign) and rows with weights w_i:
  1. exact share s_i = w_i / Σw; raw_i = |A|·s_i (a hair below, so float error can never push Σfloor above |A|);
  2. every row gets floor(raw_i); the r = |A| − Σfloor leftover units go one each to the rows with the largest
     remainders (ties: the row that came first); if r ≥ number of rows (only for astronomically large amounts) every
     row first gets r // n more;
  3. the sign of A is applied. Each row is within one unit of its exact share, has the sign of A (or is zero), and
     the rows sum to A exactly. Rows of a line whose weights are all zero (or NaN) are weighted equally.
A line whose float arithmetic still overshoots (r < 0; never seen in practice) is re-split by cumulative rounding,
which is also exact and sign-preserving.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# raw is scaled down by ~1e-12 before flooring: larger than any accumulated float error of the shares, far smaller
# than one unit for any amount that fits NUMERIC(20,8).
_SHRINK = 1.0 - 2.0**-40


def _group_starts(sorted_groups: np.ndarray) -> np.ndarray:
    if len(sorted_groups) == 0:
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero(np.r_[True, sorted_groups[1:] != sorted_groups[:-1]])


def _cumulative_split(mag: np.ndarray, share: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Exact split by rounding cumulative shares (rows of each group contiguous in `group`)."""
    starts = _group_starts(group)
    csum = np.cumsum(share)
    base = np.repeat(np.r_[0.0, csum[starts[1:] - 1]], np.diff(np.r_[starts, len(group)]))
    cum = csum - base
    last = np.repeat(cum[np.r_[starts[1:], len(group)] - 1], np.diff(np.r_[starts, len(group)]))
    frac = np.where(last > 0, cum / np.where(last > 0, last, 1.0), 1.0)
    m = mag[group]
    upto = np.minimum(np.floor(m.astype(np.float64) * frac + 0.5).astype(np.int64), m)
    ends = np.r_[starts[1:], len(group)] - 1
    upto[ends] = m[ends]
    prev = np.r_[0, upto[:-1]]
    prev[starts] = 0
    return upto - prev


def largest_remainder(group: np.ndarray, weights: np.ndarray, totals: np.ndarray) -> np.ndarray:
    """Units per row: row i belongs to line `group[i]` (an index into `totals`, int64 units per line).

    Every line that has rows gets rows summing exactly to its total. Vectorised: one sort over all rows; temporaries
    are reused in place (this runs over millions of rows).
    """
    group = np.asarray(group)
    totals = np.asarray(totals, dtype=np.int64)
    n = len(group)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    n_groups = len(totals)
    share = np.array(weights, dtype=np.float64)  # a copy: becomes the share, in place
    share[~((share > 0) & (share < np.inf))] = 0.0
    wsum = np.bincount(group, weights=share, minlength=n_groups)
    if (wsum <= 0).any():
        flat = (wsum <= 0)[group]
        share[flat] = 1.0
        wsum = np.bincount(group, weights=share, minlength=n_groups)
    share /= wsum[group]
    mag = np.abs(totals)
    mag_rows = mag[group]
    raw = mag_rows.astype(np.float64)
    raw *= share
    raw *= _SHRINK
    base = np.floor(raw).astype(np.int64)
    np.minimum(base, mag_rows, out=base)
    del mag_rows
    # Sort rows by line, then by descending remainder (stable: first row wins ties). One float key instead of a
    # lexsort: line + (1 - remainder)/2 keeps lines apart and orders remainders to ~1e-10, 5x faster.
    key = raw
    key -= base           # remainder in [0, 1)
    key *= -0.5
    key += 0.5
    key += group
    order = np.argsort(key, kind="stable")
    del key, raw
    g = group[order]
    starts = _group_starts(g)
    del g
    counts = np.diff(np.r_[starts, n])
    line_of_run = group[order[starts]]
    units_sorted = base[order]
    residual = mag[line_of_run] - np.add.reduceat(units_sorted, starts)
    ok = residual >= 0
    q, m = np.divmod(np.where(ok, residual, 0), counts)
    rank = np.arange(n) - np.repeat(starts, counts)
    units_sorted += np.repeat(q, counts)
    units_sorted += rank < np.repeat(m, counts)
    del rank
    units = np.empty(n, dtype=np.int64)
    units[order] = units_sorted
    if not ok.all():  # float overshoot: re-split those lines by cumulative rounding, in original row order
        rows = np.flatnonzero(np.isin(group, line_of_run[~ok]))
        rows = rows[np.argsort(group[rows], kind="stable")]
        units[rows] = _cumulative_split(mag, share[rows], group[rows])
    neg = totals[group] < 0
    np.negative(units, out=units, where=neg)
    return units


def split_by_pairs(line: np.ndarray, pair_key: np.ndarray, weights: np.ndarray, totals: np.ndarray) -> np.ndarray:
    """Two-level largest remainder: first each line over its pairs (rows sharing `pair_key`, e.g. one principal's
    24 hours), then each pair's units over its rows. Every line still sums exactly, and every principal's daily total
    is within one unit of its exact share (one-level rounding over hours could drift by up to 24 units)."""
    line = np.asarray(line, dtype=np.int64)
    if len(line) == 0:
        return np.zeros(0, dtype=np.int64)
    pair, _ = pd.factorize(np.asarray(pair_key, dtype=np.int64), sort=False)
    w = np.asarray(weights, dtype=np.float64)
    w = np.where(np.isfinite(w) & (w > 0), w, 0.0)
    n_pairs = int(pair.max()) + 1
    pair_weight = np.bincount(pair, weights=w, minlength=n_pairs)
    pair_line = np.zeros(n_pairs, dtype=np.int64)
    pair_line[pair] = line
    pair_units = largest_remainder(pair_line, pair_weight, totals)
    return largest_remainder(pair, w, pair_units)
