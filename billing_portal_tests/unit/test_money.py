from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from billing_portal.money import from_units, to_decimal, to_units, units_to_text


def test_floats_parse_as_the_json_text_said():
    assert to_decimal(0.1) == Decimal("0.10000000")
    assert to_decimal(2.7) == Decimal("2.70000000")
    assert to_decimal(-50) == Decimal("-50.00000000")
    assert to_decimal("1.234567891") == Decimal("1.23456789")  # half-even at 8 places
    assert to_decimal("0.000000005") == Decimal("0E-8")
    assert to_decimal(None) is None


@pytest.mark.parametrize("bad", [True, float("nan"), float("inf"), "abc", [1]])
def test_non_numbers_are_refused(bad):
    with pytest.raises((ValueError, ArithmeticError)):
        to_decimal(bad)


@given(st.integers(min_value=-(10**17), max_value=10**17))
def test_units_roundtrip(units):
    assert to_units(from_units(units)) == units
    text = units_to_text(np.array([units], dtype=np.int64))[0]
    assert Decimal(text) == from_units(units)
