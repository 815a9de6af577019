"""Vectorised joins on integer keys (numpy only): the building blocks that let every rule expand all its bill lines
into rows at once, without a Python loop over lines or facts."""

from __future__ import annotations

import numpy as np


def ranges(starts: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each i, the indices starts[i] .. starts[i]+counts[i]-1. Returns (owner i per output, index)."""
    counts = np.asarray(counts, dtype=np.int64)
    total = int(counts.sum())
    owner = np.repeat(np.arange(len(counts), dtype=np.int64), counts)
    if total == 0:
        return owner, np.zeros(0, dtype=np.int64)
    offsets = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(counts) - counts, counts)
    return owner, np.repeat(np.asarray(starts, dtype=np.int64), counts) + offsets


def join(left_keys: np.ndarray, right_keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All (i, j) with left_keys[i] == right_keys[j]: an inner join on int keys. Output grouped by i."""
    right_keys = np.asarray(right_keys)
    order = np.argsort(right_keys, kind="stable")
    rk = right_keys[order]
    lk = np.asarray(left_keys)
    start = np.searchsorted(rk, lk, side="left")
    end = np.searchsorted(rk, lk, side="right")
    li, pos = ranges(start, end - start)
    return li, order[pos]


def lookup(sorted_keys: np.ndarray, values: np.ndarray, query: np.ndarray, default=0.0) -> np.ndarray:
    """values[j] where sorted_keys[j] == query (keys unique and sorted), else `default`."""
    sorted_keys = np.asarray(sorted_keys)
    query = np.asarray(query)
    if len(sorted_keys) == 0:
        return np.full(len(query), default, dtype=np.asarray(values).dtype if len(values) else np.float64)
    pos = np.searchsorted(sorted_keys, query)
    pos_c = np.minimum(pos, len(sorted_keys) - 1)
    hit = sorted_keys[pos_c] == query
    return np.where(hit, np.asarray(values)[pos_c], default)
