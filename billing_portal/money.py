"""Exact money: Decimal at the edges, NUMERIC(20,8) in PostgreSQL, int64 units of 1e-8 USD in vectorised code."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

import numpy as np

SCALE = 8
UNIT = Decimal(1).scaleb(-SCALE)  # Decimal('1E-8')
UNITS_PER_USD = 10**SCALE


def to_decimal(value: object) -> Decimal | None:
    """Parse a JSON number (int/float/str/Decimal) into a Decimal rounded half-even to SCALE places.

    Floats are converted through ``repr`` (the shortest text that round-trips), i.e. the number the JSON said.
    Returns None for None. Raises ValueError for anything that is not a finite number.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(f"not a number: {value!r}")
    if isinstance(value, Decimal):
        d = value
    elif isinstance(value, int):
        d = Decimal(value)
    elif isinstance(value, float):
        d = Decimal(repr(value))
    elif isinstance(value, str):
        d = Decimal(value.strip())
    else:
        raise ValueError(f"not a number: {value!r}")
    if not d.is_finite():
        raise ValueError(f"not a finite number: {value!r}")
    return d.quantize(UNIT, rounding=ROUND_HALF_EVEN)


def to_units(value: Decimal) -> int:
    """Decimal USD → integer units of 1e-8 USD (exact; the value must already be at SCALE places or fewer)."""
    return int(value.scaleb(SCALE).to_integral_exact())


def from_units(units: int) -> Decimal:
    """Integer units → Decimal USD with exactly SCALE places."""
    return Decimal(int(units)).scaleb(-SCALE).quantize(UNIT)


def units_to_text(units: np.ndarray) -> np.ndarray:
    """Vectorised int64 units → numeric text ('-12.34500000') suitable for COPY into NUMERIC(20,8)."""
    units = np.asarray(units, dtype=np.int64)
    neg = units < 0
    mag = np.abs(units)
    whole = (mag // UNITS_PER_USD).astype(str)
    frac = np.char.zfill((mag % UNITS_PER_USD).astype(str), SCALE)
    text = np.char.add(np.char.add(whole, "."), frac)
    return np.where(neg, np.char.add("-", text), text)
