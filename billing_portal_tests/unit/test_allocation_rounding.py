"""Largest-remainder rounding: exact sums per line, whatever the weights and amounts."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from billing_portal.allocation.rounding import _cumulative_split, largest_remainder

INT64_SAFE = 9 * 10**17  # ~$9 billion in units: far above any daily bill line


def sums(group, units, n):
    out = np.zeros(n, dtype=np.int64)
    np.add.at(out, group, units)
    return out


def test_classic_three_way_split_gives_leftover_to_largest_remainders():
    units = largest_remainder(np.array([0, 0, 0]), np.array([1.0, 1.0, 1.0]), np.array([100]))
    assert units.tolist() == [34, 33, 33]


def test_weights_are_proportional_and_exact():
    units = largest_remainder(np.array([0, 0]), np.array([3.0, 1.0]), np.array([1000]))
    assert units.tolist() == [750, 250]


def test_negative_amount_is_split_with_the_same_magnitudes_and_sign():
    pos = largest_remainder(np.array([0, 0, 0]), np.array([1.0, 2.0, 4.0]), np.array([1001]))
    neg = largest_remainder(np.array([0, 0, 0]), np.array([1.0, 2.0, 4.0]), np.array([-1001]))
    assert neg.tolist() == (-pos).tolist()
    assert neg.sum() == -1001


def test_zero_amount_gives_zero_rows():
    assert largest_remainder(np.array([0, 0]), np.array([1.0, 5.0]), np.array([0])).tolist() == [0, 0]


def test_all_zero_or_invalid_weights_fall_back_to_equal_shares():
    units = largest_remainder(np.array([0, 0, 0, 0]), np.array([0.0, np.nan, -5.0, 0.0]), np.array([8]))
    assert units.tolist() == [2, 2, 2, 2]


def test_several_lines_interleaved_rows():
    group = np.array([1, 0, 1, 0, 2])
    units = largest_remainder(group, np.array([1.0, 1.0, 1.0, 3.0, 0.5]), np.array([10, 7, -3]))
    assert sums(group, units, 3).tolist() == [10, 7, -3]
    assert units.tolist() == [4, 3, 3, 7, -3]


def test_ties_go_to_the_first_row():
    units = largest_remainder(np.array([0, 0, 0, 0]), np.ones(4), np.array([2]))
    assert units.tolist() == [1, 1, 0, 0]


def test_lines_without_rows_are_ignored():
    units = largest_remainder(np.array([2, 2]), np.array([1.0, 1.0]), np.array([5, 6, 7]))
    assert units.tolist() == [4, 3]


def test_cumulative_split_is_exact_and_non_negative():
    mag = np.array([10, 7])
    out = _cumulative_split(mag, np.array([0.2, 0.3, 0.5, 1.0, 1.0]), np.array([0, 0, 0, 1, 1]))
    assert out.tolist() == [2, 3, 5, 4, 3]


@settings(max_examples=200, deadline=None)
@given(
    data=st.lists(
        st.tuples(st.integers(0, 7), st.one_of(st.floats(0, 1e12, allow_nan=False), st.just(0.0),
                                               st.floats(1e-300, 1e-290))),
        min_size=1, max_size=300),
    totals=st.lists(st.integers(-INT64_SAFE, INT64_SAFE), min_size=8, max_size=8),
)
def test_property_rows_sum_exactly_and_stay_within_one_unit(data, totals):
    group = np.array([g for g, _ in data])
    weights = np.array([w for _, w in data])
    totals = np.array(totals, dtype=np.int64)
    units = largest_remainder(group, weights, totals)
    present = np.unique(group)
    assert (sums(group, units, 8)[present] == totals[present]).all()
    # every row has the sign of its line (or is zero)
    assert (units * np.sign(totals[group]) >= 0).all()
    # and is within one unit of its exact share (or within r // n when |amount| dwarfs float precision)
    w = np.where(weights > 0, weights, 0.0)
    wsum = np.bincount(group, weights=w, minlength=8)
    flat = wsum[group] <= 0
    w = np.where(flat, 1.0, w)
    wsum = np.bincount(group, weights=w, minlength=8)
    exact = np.abs(totals[group]).astype(float) * (w / wsum[group])
    slack = 1.0 + np.abs(totals[group]) * 1e-11
    assert (np.abs(np.abs(units) - exact) <= slack).all()


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1000, 20000), total=st.integers(-10**15, 10**15), seed=st.integers(0, 2**32 - 1))
def test_property_thousands_of_rows_in_one_line(n, total, seed):
    rng = np.random.default_rng(seed)
    weights = rng.lognormal(0, 3, n)
    units = largest_remainder(np.zeros(n, dtype=np.int64), weights, np.array([total]))
    assert units.sum() == total
