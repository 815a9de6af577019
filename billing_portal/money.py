"""Exact money: Decimal at the edges, NUMERIC(20,8) in PostgreSQL, int64 units of 1e-8 USD in vectorised code."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pyarrow as pa

SCALE = 8
UNIT = Decimal(1).scaleb(-SCALE)  # Decimal('1E-8')
UNITS_PER_USD = 10**SCALE


def to_decimal(value: object, quantum: Decimal = UNIT) -> Decimal | None:
    """Parse a JSON number (int/float/str/Decimal) into a Decimal rounded half-even to `quantum` (default: SCALE
    places, the amounts' precision).

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
    return d.quantize(quantum, rounding=ROUND_HALF_EVEN)


def to_units(value: Decimal) -> int:
    """Decimal USD → integer units of 1e-8 USD (exact; the value must already be at SCALE places or fewer)."""
    return int(value.scaleb(SCALE).to_integral_exact())


def from_units(units: int) -> Decimal:
    """Integer units → Decimal USD with exactly SCALE places."""
    return Decimal(int(units)).scaleb(-SCALE).quantize(UNIT)


_WHOLE_WIDTH = 11  # int64 units: |x| < 9.3e18 → at most 11 digits of whole USD


def units_to_text_arrow(units) -> pa.Array:
    """Vectorised int64 units → exact NUMERIC text ('-12.34500000', '0.00000000') as an Arrow string array.

    Digits are computed with integer numpy arithmetic into a fixed-width byte matrix (sign, 11 whole digits, '.',
    8 fraction digits); the bytes each value needs are then selected row by row and become the string array's data
    buffer, with offsets from the per-value lengths. No Python per value, no floats. Nulls stay null."""
    import pyarrow as pa

    validity = None
    if isinstance(units, pa.ChunkedArray):
        units = units.combine_chunks()
    if isinstance(units, pa.Array):
        if units.null_count:
            validity = units.is_valid()
            units = units.fill_null(0)
        values = units.cast(pa.int64()).to_numpy(zero_copy_only=False)
    else:
        values = np.asarray(units, dtype=np.int64)
    n = len(values)
    neg = values < 0
    mag = np.abs(values).astype(np.uint64)
    width = 1 + _WHOLE_WIDTH + 1 + SCALE
    mat = np.empty((n, width), dtype=np.uint8)
    rest = mag
    for j in range(width - 1, width - 1 - SCALE, -1):  # fraction digits, right to left
        mat[:, j] = (rest % 10).astype(np.uint8) + 48
        rest = rest // 10
    mat[:, width - 1 - SCALE] = ord(".")
    for j in range(width - 2 - SCALE, 0, -1):  # whole digits, right to left
        mat[:, j] = (rest % 10).astype(np.uint8) + 48
        rest = rest // 10
    # number of whole digits: 1 + floor(log10(whole)) for whole > 0, computed exactly with integer comparisons
    whole = mag // np.uint64(UNITS_PER_USD)
    ndigits = np.ones(n, dtype=np.int64)
    power = np.uint64(10)
    for _ in range(1, _WHOLE_WIDTH):
        ndigits += whole >= power
        power = power * np.uint64(10)
    first = (width - 1 - SCALE) - ndigits - neg  # index of the first byte kept
    rows = np.flatnonzero(neg)
    mat[rows, first[rows]] = ord("-")
    keep = np.arange(width)[None, :] >= first[:, None]
    data = mat[keep]
    lengths = width - first
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    if offsets[-1] < 2**31:
        arr = pa.StringArray.from_buffers(n, pa.py_buffer(offsets.astype(np.int32)), pa.py_buffer(data))
    else:
        arr = pa.LargeStringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(data))
    if validity is not None:
        import pyarrow.compute as pc

        arr = pc.if_else(validity, arr, pa.scalar(None, arr.type))
    return arr


def units_to_text(units: np.ndarray) -> np.ndarray:
    """Vectorised int64 units → numeric text ('-12.34500000') suitable for COPY into NUMERIC(20,8) (object array)."""
    return np.asarray(units_to_text_arrow(units).to_numpy(zero_copy_only=False), dtype=object)
